// The chat in the widget frame: the guest socket (/ws/guest) with resume and resend by
// client id, the panel, the out-of-hours form, consent, rating and the channels panel.
// Commands come from the loader on the host page (postMessage); events go back to it.

import { clientId, el } from '/common/api.js';
import { MessageList, messageItem, sendFile } from '/common/messages.js';
import { HubSocket } from '/common/socket.js';
import { applyTexts, textsFor } from '/widget/texts.js';
import { placeCall } from '/common/caller.js';

const params = new URLSearchParams(location.hash.slice(1));
let words = textsFor(params.get('lang'));
const preview = params.get('preview') === '1';
// The host page's origin, as its loader passed it (the admin app's preview is on the hub's
// own). Events carry staff replies: they go to that origin only, and commands are taken
// from it only. Without one, the frame talks to no page at all.
const hostOrigin = preview ? location.origin : params.get('host') || null;
const framed = window.parent !== window && hostOrigin !== null;
function toParent(message) { if (framed) window.parent.postMessage(message, hostOrigin); }
const $ = (sel) => document.querySelector(sel);
// The frame's own storage when the browser gives it one; else (a cross-site frame in a
// browser blocking third-party storage) the host page keeps the values for it: the loader
// passes them back in the fragment (`kept`) and takes each change (`keep`).
const ownStorage = (() => {
  try { localStorage.setItem('hotelhub.probe', '1'); localStorage.removeItem('hotelhub.probe'); return true; } catch { return false; }
})();
const kept = (() => { try { return JSON.parse(params.get('kept') || '{}') || {}; } catch { return {}; } })();
const store = {
  get(k) {
    if (!ownStorage) return kept[k] ?? null;
    try { return JSON.parse(localStorage.getItem('hotelhub.' + k)); } catch { return null; }
  },
  set(k, v) {
    if (!ownStorage) { kept[k] = v; toParent({ hotelhub: 'keep', values: kept }); return; }
    try { localStorage.setItem('hotelhub.' + k, JSON.stringify(v)); } catch { /* storage full */ }
  },
};

const state = {
  token: store.get('token'),
  dialogueId: store.get('dialogue'),
  // A fresh page shows nothing yet: the hello asks for the whole conversation (the hub
  // sends each message once); within the page, reconnects resume from the last one shown.
  lastSeq: 0,
  dialogue: null,
  settings: null,
  open: true,
  openPanel: false,
  hidden: false,
  welcomeShown: false,
  consentGiven: false,
  unread: 0,
  identifyUrl: '',
};
let socket = null;
const messages = new MessageList($('.messages'), bubble);

function toHost(message) { toParent({ hotelhub: 'event', ...message }); }
function emit(name, detail) { toHost({ name, detail }); }

function layout() {
  const position = state.settings?.widget?.position || 'right';
  document.body.classList.toggle('left', position === 'left');
  $('#panel').hidden = !state.openPanel;
  $('#launcher').classList.toggle('open', state.openPanel);
  $('#welcome').hidden = state.openPanel || !state.welcomeShown;
  const size = state.openPanel
    ? { width: 'min(400px, 100vw)', height: 'min(620px, 100vh)' }
    : state.welcomeShown ? { width: '320px', height: '220px' } : { width: '96px', height: '96px' };
  toParent({ hotelhub: 'size', hidden: state.hidden, position, ...size });
}

function applySettings(s) {
  state.settings = s;
  const w = s.widget || {};
  document.documentElement.style.setProperty('--accent', w.color || '#0b7a75');
  // A language the page chose (its data-lang: the kiosk passes the guest's choice) comes
  // before the owner's setting; the browser's alone does not.
  const language = (params.get('chosen') === '1' && params.get('lang')) || w.language;
  words = textsFor(language);
  document.documentElement.lang = language && language !== 'auto' ? language : (navigator.language || 'en');
  applyTexts(document, words);
  if (!preview) showLeadSent();
  $('.title').textContent = w.title || 'Chat';
  $('.welcome-text').textContent = w.welcome_text || '';
  const launcher = $('#launcher');
  launcher.className = 'launcher icon-' + (w.icon || 'bubble') + (state.openPanel ? ' open' : '');
  const phone = $('.channel.phone');
  phone.hidden = !w.phone;
  if (w.phone) { phone.href = 'tel:' + w.phone.replace(/[^0-9+]/g, ''); phone.querySelector('span').textContent = w.phone; }
  // Calls (CHAT-3) when the owner offers them; a camera needs a secure page.
  for (const b of document.querySelectorAll('.channels [data-channel="video"], .channels [data-channel="voice"]')) b.hidden = !w.calls;
  renderLinks();
  $('.consent-text').textContent = s.consent?.text || '';
  const link = $('.consent-link');
  link.hidden = !s.consent?.link;
  link.href = s.consent?.link || '#';
  state.identifyUrl = s.identify_url || '';
  layout();
}

// The hotel's messengers (CLOUD-2) come first in the settings' links, beside the owner's.
function renderLinks() {
  $('.channels .links').replaceChildren(...(state.settings?.widget?.messenger_links || []).map((l) =>
    el('a', { class: 'channel', href: l.url, target: '_blank', rel: 'noopener', 'data-platform': l.platform || '' }, l.label)));
}

function setOpen(open) {
  if (state.openPanel === open) return;
  state.openPanel = open;
  if (open) { state.unread = 0; badge(); state.welcomeShown = false; markRead(); }
  layout();
  emit(open ? 'opened' : 'closed');
  if (open) $('.composer textarea').focus();
}

function badge() {
  const b = $('.badge');
  b.hidden = state.unread === 0;
  b.textContent = String(state.unread);
}

// The hub's error codes in the guest's words (its own messages are English, for staff).
function errorText(code) {
  if (code === 'blocked') return words.errBlocked;
  if (['unknown_key', 'too_many_sockets', 'internal', 'hello_expected'].includes(code)) return words.errUnavailable;
  if (code === 'too_large') return words.errTooLarge;
  if (code === 'rate_limited') return words.errSlowDown;
  return words.errFailed;
}

function status(text) {
  const s = $('.status');
  s.hidden = !text;
  s.textContent = text || '';
}

function guestFetch(url, options = {}) {
  return fetch(url, { ...options, headers: { ...(options.headers || {}), 'x-guest-token': state.token || '' } });
}

// The guest's files come with the guest token, which a plain link cannot carry.
function guestAttachment(a) {
  if (a.content_type.startsWith('image/')) {
    const img = el('img', { alt: a.file_name });
    guestFetch('/api/v1/guest/attachments/' + a.id)
      .then((r) => (r.ok ? r.blob() : null))
      .then((b) => { if (b) img.src = URL.createObjectURL(b); });
    return img;
  }
  return el('a', { href: '#', onclick: async (e) => {
    e.preventDefault();
    const r = await guestFetch('/api/v1/guest/attachments/' + a.id);
    if (!r.ok) return;
    const url = URL.createObjectURL(await r.blob());
    el('a', { href: url, download: a.file_name }).click();
  } }, '📄 ' + a.file_name);
}

// The hub writes its few system notes in English (for staff and history); a guest reads
// them in the widget's language. The patterns are the hub's fixed wording
// (chat/staff_dialogue.rs, chat/automation.rs); anything else shows as written.
const SYSTEM = [
  [/^(.+) joined the chat$/, 'sysJoined'],
  [/^(.+) took over the chat$/, 'sysTookOver'],
  [/^(.+) left the chat$/, 'sysLeft'],
  [/^(.+) ended the chat(\. How did we do\? Please rate us\.)?$/, 'sysEnded'],
  [/^The chat was closed after a period of inactivity$/, 'sysClosedIdle'],
];
function systemText(body) {
  for (const [pattern, key] of SYSTEM) {
    const m = body.match(pattern);
    if (m) return words[key].replace('{name}', m[1] || '');
  }
  return body;
}

// The bot's own name and hand-off sentence are the hub's fixed English
// (chat/service.rs, chat/guest_dialogue.rs); the owner's bot answers arrive already in the
// guest's language.
const BOT_HANDOFF = 'I am passing you to a member of our team; they will answer here shortly.';
function botText(m) {
  return { ...m, author_name: m.author_name === 'Assistant' ? words.botName : m.author_name,
    body: m.body === BOT_HANDOFF ? words.botHandoff : m.body };
}

function bubble(m) {
  const kind = m.author_kind;
  const shown = kind === 'system' ? { ...m, body: systemText(m.body) } : kind === 'bot' ? botText(m) : m;
  return messageItem(shown, 'msg ' + (kind === 'guest' ? 'mine' : kind === 'system' ? 'system' : 'theirs'),
    kind === 'staff' || kind === 'bot' ? shown.author_name ?? '' : null, guestAttachment);
}

// The typing line clears on "stopped", on the next message or the end, and by itself 6 s
// after the last news (a member whose app closed never says it stopped).
let typingExpiry = null;
function showTyping(who) {
  const t = $('.typing');
  clearTimeout(typingExpiry);
  t.hidden = !who;
  t.textContent = who ? `${who} ${words.typing}` : '';
  if (who) typingExpiry = setTimeout(() => showTyping(null), 6000);
}

function showMessage(m) {
  if (!messages.add(m)) return;
  if (m.author_kind !== 'guest') showTyping(null);
  if (m.dialogue_id !== state.dialogueId) {
    state.dialogueId = m.dialogue_id;
    state.lastSeq = 0;
    store.set('dialogue', m.dialogue_id);
  }
  state.lastSeq = Math.max(state.lastSeq, m.seq);
  if (m.author_kind !== 'guest' && m.author_kind !== 'system') {
    if (!state.openPanel) { state.unread += 1; badge(); }
    emit('message', { body: m.body, author: m.author_name, kind: m.author_kind });
    markRead();
  }
  refreshPanels();
}

function markRead() {
  if (state.openPanel && state.dialogueId) socket?.send({ type: 'read', seq: state.lastSeq });
}

function dialogueOpen() { return state.dialogue && state.dialogue.state !== 'ended'; }

// Until someone answers, the panel greets: the owner's welcome text, and what to expect
// (the typical first-answer time lately; out of hours the contact form says the rest).
function refreshGreeting() {
  const text = state.settings?.widget?.welcome_text || '';
  const expect = state.open !== false && state.replyMinutes ? words.replyWithin.replace('{n}', state.replyMinutes) : '';
  $('.greeting-text').textContent = text;
  $('.greeting-expect').textContent = expect;
  $('.greeting').hidden = !!$('.messages .msg.theirs') || (!text && !expect) || state.open === false;
}

function refreshPanels() {
  refreshGreeting();
  const s = state.settings || {};
  const offline = state.open === false && !dialogueOpen();
  $('.offline').hidden = !offline;
  $('.offline-text').textContent = state.outOfHoursText || words.away;
  $('.messages').hidden = offline;
  $('.composer').hidden = offline;
  const ended = state.dialogue && state.dialogue.state === 'ended';
  const rated = state.dialogue && state.dialogue.rating != null;
  $('.rating').hidden = !(ended && s.rating_enabled && (!rated || state.justRated === state.dialogue.id));
}

function needsConsent() {
  const c = state.settings?.consent;
  return c?.enabled && !(c.excluded_channels || []).includes('web') && !dialogueOpen() && !state.consentGiven;
}

function sendMessage(body) {
  const id = clientId('w');
  const li = bubble({ author_kind: 'guest', body, seq: 0 });
  li.classList.add('pending');
  li.dataset.clientId = id;
  $('.messages').append(li);
  refreshGreeting();
  $('.messages').scrollTop = $('.messages').scrollHeight;
  socket?.send({ type: 'send', client_id: id, body, consent: state.consentGiven });
}

function connect() {
  socket = new HubSocket('/ws/guest', {
    hello: () => ({
      type: 'hello', key: params.get('key'), token: state.token, dialogue_id: state.dialogueId,
      last_seq: state.lastSeq, channel: 'web',
      page: { url: params.get('url') || '', title: params.get('title') || '', referrer: params.get('referrer') || '',
        language: params.get('lang') || '', tags: (params.get('tags') || '').split(',').filter(Boolean) },
    }),
    onFrame: handle,
    onState: (s) => status(s === 'online' ? '' : words.reconnecting),
    // Kept as [client id, body] pairs, the shape earlier versions stored, so what waited
    // across an upgrade is still sent.
    pending: (store.get('pending') || []).map(([id, body]) => ({ type: 'send', client_id: id, body, consent: false })),
    onPending: (frames) => store.set('pending', frames.map((f) => [f.client_id, f.body])),
  });
}

let firstWelcome = true;
function handle(f) {
  switch (f.type) {
    case 'welcome': {
      if (f.token) { state.token = f.token; store.set('token', f.token); }
      if (f.dialogue && f.dialogue.id !== state.dialogueId) {
        state.dialogueId = f.dialogue.id; state.lastSeq = 0; store.set('dialogue', f.dialogue.id);
        messages.clear();
      }
      state.dialogue = f.dialogue;
      state.open = f.open;
      state.outOfHoursText = f.out_of_hours_text;
      state.replyMinutes = f.typical_reply_minutes;
      if (f.property?.name) $('.subtitle').textContent = f.property.name;
      applySettings(f.settings);
      if (firstWelcome) {
        firstWelcome = false;
        const initial = params.get('state') || f.settings.widget?.initial_state || 'collapsed';
        state.hidden = initial === 'hidden';
        state.welcomeShown = initial === 'welcome' && !!f.settings.widget?.welcome_text;
        if (initial === 'open') setOpen(true);
        schedulePageMessages(f.settings.page_messages || []);
        layout();
        toParent({ hotelhub: 'ready', identifyUrl: state.identifyUrl });
      }
      refreshPanels();
      break;
    }
    case 'message': showMessage(f.message); break;
    case 'ack': {
      if (f.dialogue_id && (!state.dialogue || state.dialogue.id !== f.dialogue_id)) {
        state.dialogue = { id: f.dialogue_id, state: 'unassigned' };
      }
      refreshPanels();
      break;
    }
    case 'dialogue':
      state.dialogue = f.dialogue;
      if (f.dialogue?.state === 'ended') showTyping(null);
      refreshPanels();
      break;
    case 'read':
      // Read receipts: staff have seen the guest's messages up to f.seq.
      document.querySelectorAll('.msg.mine[data-seq]').forEach((m) => {
        if (Number(m.dataset.seq) > 0 && Number(m.dataset.seq) <= f.seq) m.classList.add('read');
      });
      break;
    case 'typing': showTyping(f.on ? f.who : null); break;
    case 'settings': applySettings(f.settings); refreshPanels(); break;
    case 'rated':
      state.justRated = f.dialogue_id;
      $('.rating-done').hidden = false;
      $('.stars').hidden = true;
      refreshPanels();
      break;
    case 'error': {
      if (f.code === 'consent_required') {
        document.querySelector(`[data-client-id="${CSS.escape(f.client_id || '')}"]`)?.remove();
        $('.consent').hidden = false;
      } else if (['blocked', 'unknown_key', 'too_many_sockets'].includes(f.code)) {
        socket.stop();
        status(errorText(f.code));
      } else if (f.client_id) {
        const node = document.querySelector(`[data-client-id="${CSS.escape(f.client_id)}"]`);
        if (node) { node.classList.add('failed'); node.title = errorText(f.code); }
        status(errorText(f.code));
      }
      break;
    }
    default: break;
  }
}

// Automatic messages on a page or after a time on it (CHAT-14): shown by the widget to a
// guest with no open dialogue; answering one starts a dialogue like any message.
function schedulePageMessages(list) {
  const url = params.get('url') || '';
  for (const pm of list) {
    if (pm.url_contains && !url.includes(pm.url_contains)) continue;
    setTimeout(() => {
      if (dialogueOpen()) return;
      $('.messages').append(bubble({ author_kind: 'bot', author_name: state.settings?.widget?.title || '', body: pm.text, seq: 0 }));
      if (!state.openPanel) {
        $('.welcome-text').textContent = pm.text;
        state.welcomeShown = true;
        layout();
      }
    }, (pm.after_seconds || 0) * 1000);
  }
}

// Interaction.
$('#launcher').addEventListener('click', () => setOpen(!state.openPanel));
$('.close-btn').addEventListener('click', () => setOpen(false));
$('.welcome-close').addEventListener('click', () => { state.welcomeShown = false; layout(); });
$('.welcome').addEventListener('click', (e) => { if (!e.target.closest('.welcome-close')) setOpen(true); });
$('.channels-btn').addEventListener('click', () => { $('.channels').hidden = !$('.channels').hidden; });
$('.channels [data-channel="chat"]').addEventListener('click', () => { $('.channels').hidden = true; });
let calling = false;
for (const [channel, video] of [['video', true], ['voice', false]]) {
  $(`.channels [data-channel="${channel}"]`).addEventListener('click', () => {
    if (calling || !state.token) return;
    calling = true;
    $('.channels').hidden = true;
    placeCall({ path: '/ws/call', hello: { type: 'hello', key: params.get('key'), token: state.token }, mount: $('#panel'),
      video, w: words, onWrite: () => $('.composer textarea').focus(), onClose: () => { calling = false; } })
      .catch(() => { calling = false; });
  });
}
$('.consent-accept').addEventListener('click', () => {
  state.consentGiven = true;
  $('.consent').hidden = true;
  const t = $('.composer textarea');
  if (t.value.trim()) $('.composer').requestSubmit();
});

let typingTimer = null;
let typingSent = 0;
$('.composer textarea').addEventListener('input', () => {
  if (!state.dialogueId) return;
  if (Date.now() - typingSent > 3000) { socket?.send({ type: 'typing', on: true }); typingSent = Date.now(); }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { socket?.send({ type: 'typing', on: false }); typingSent = 0; }, 4000);
});
// The keyboard: Escape closes the open chat; the paperclip opens the file picker on Enter
// or Space like a button.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.openPanel) setOpen(false);
});
if (params.get('attach') === 'off') $('.attach').hidden = true;
$('.attach').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('.attach input').click(); }
});
$('.composer textarea').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('.composer').requestSubmit(); }
});
$('.composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('.composer textarea');
  const body = t.value.trim();
  if (!body) return;
  if (needsConsent()) { $('.consent').hidden = false; return; }
  t.value = '';
  sendMessage(body);
});
$('.attach input').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  if (needsConsent()) { $('.consent').hidden = false; return; }
  status(`${words.sending} ${file.name}…`);
  const refused = await sendFile('/api/v1/guest/attachments', file,
    { 'x-guest-token': state.token || '', 'x-consent': state.consentGiven ? '1' : '0' });
  // The hub's reason is English, for staff; the guest reads it in their language.
  status(refused === null ? '' : words.fileFailed);
});
$('.stars').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-rating]');
  if (!b || !state.dialogue) return;
  const rating = Number(b.dataset.rating);
  document.querySelectorAll('.stars button').forEach((s) => s.classList.toggle('on', Number(s.dataset.rating) <= rating));
  socket?.send({ type: 'rate', dialogue_id: state.dialogue.id, rating, comment: $('.rating-comment').value });
});
$('.lead-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const r = await guestFetch('/api/v1/guest/leads', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(Object.fromEntries(form.entries())),
  });
  if (r.ok) {
    $('.lead-done').hidden = false;
    e.target.querySelectorAll('input,textarea,button').forEach((x) => { x.disabled = true; });
    store.set('lead', { at: Date.now(), message: form.get('message') });
  }
  else status(words.errFailed);
});

// A message left out of hours stays in sight for a day, so a guest who comes back does not
// wonder whether it went, or send it again.
const LEAD_SHOWN_MS = 24 * 3600 * 1000;
function showLeadSent() {
  const lead = store.get('lead');
  const recent = !!lead && Date.now() - lead.at < LEAD_SHOWN_MS;
  $('.lead-sent').hidden = !recent;
  $('.lead-form').hidden = recent;
  if (!recent) return;
  const time = new Date(lead.at).toLocaleString(document.documentElement.lang || [], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  $('.lead-sent-text').textContent = words.leadSent.replace('{time}', time);
  $('.lead-sent-body').textContent = lead.message;
}
$('.lead-another').addEventListener('click', () => {
  store.set('lead', null);
  const f = $('.lead-form');
  f.reset();
  f.querySelectorAll('input,textarea,button').forEach((x) => { x.disabled = false; });
  $('.lead-done').hidden = true;
  showLeadSent();
});

// Commands from the host page.
window.addEventListener('message', (e) => {
  if (!framed || e.source !== window.parent || e.origin !== hostOrigin) return;
  const d = e.data || {};
  switch (d.hotelhub) {
    case 'open': state.hidden = false; setOpen(true); layout(); break;
    case 'close': setOpen(false); break;
    case 'hide': state.hidden = true; layout(); break;
    case 'show': state.hidden = false; layout(); break;
    case 'channels': state.hidden = false; setOpen(true); $('.channels').hidden = false; break;
    case 'user': socket?.send({ type: 'set_user', name: d.user?.name || '', email: d.user?.email || '', phone: d.user?.phone || '' }); break;
    case 'identify': socket?.send({ type: 'identify', answer: d.answer || { ok: false } }); break;
    case 'preview': applySettings(d.settings); state.openPanel = true; layout(); break;
    default: break;
  }
});

applyTexts(document, words);
if (preview) {
  state.hidden = false;
  state.openPanel = true;
  $('.messages').append(
    bubble({ author_kind: 'staff', author_name: 'Reception', body: 'Hello! How can we help?', seq: 1 }),
    bubble({ author_kind: 'guest', body: 'Is breakfast included?', seq: 2 }),
  );
  layout();
} else {
  layout();
  connect();
}
