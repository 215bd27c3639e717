// The Team Messenger (CHAT-6): sign in, the views (mine, others', unassigned, missed,
// history, leads, team, calls, online visitors, statistics), search, and the open conversation.
// Live updates come over the team socket; lists are re-read from the hub when they change.
import { api, el } from '/common/api.js';
import { staffSignIn } from '/common/signin.js';
import { TeamSocket } from '/messenger/socket.js';
import { DialogueView } from '/messenger/dialogue.js';
import { alertControls, guestWrote } from '/messenger/alerts.js';
import { Calls, callTotals, missedCalls, renderCallLog } from '/messenger/calls.js';

const $ = (s) => document.querySelector(s);
const ctx = {
  me: null, team: [], shortcuts: [], socket: null, view: null, open: null,
  pane: $('#dialogue'), visitors: [],
  notify(text) {
    const n = $('#notice');
    n.textContent = text;
    n.hidden = false;
    clearTimeout(ctx.noticeTimer);
    ctx.noticeTimer = setTimeout(() => { n.hidden = true; }, 5000);
  },
};

// Nothing else on the page can say why the app did not start.
function boot() { start().catch((e) => ctx.notify(e.message)); }
const signIn = staffSignIn('Team Messenger', boot);

async function start() {
  ctx.me = await signIn.member();
  if (!ctx.me) return;
  $('#whoami').textContent = ctx.me.name;
  $('#to-admin').hidden = !['owner', 'admin', 'chat_admin'].includes(ctx.me.role);
  // "offline" was a choice once; presence is this app being open now.
  $('#availability').value = ctx.me.status === 'away' ? 'away' : 'online';
  [ctx.team, ctx.shortcuts] = await Promise.all([api('GET', '/chat/colleagues'), api('GET', '/chat/shortcuts')]);
  // An agent sees colleagues' conversations only where the chat settings allow it.
  if (ctx.me.role === 'agent') {
    const allowed = await api('GET', '/chat/dialogues?view=others').then(() => true, (e) => e.status !== 403);
    $('#views [data-view="others"]').hidden = !allowed;
  }
  ctx.calls = new Calls(ctx);
  ctx.socket = new TeamSocket(onFrame, (s) => {
    const c = $('#connection');
    c.textContent = s === 'online' ? 'connected' : 'reconnecting…';
    c.classList.toggle('online', s === 'online');
    if (s === 'online') { ctx.refreshLists(); ctx.calls.refresh(); }
  });
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/messenger/sw.js', { scope: '/messenger/' }).catch(() => {});
  }
  window.addEventListener('hashchange', route);
  route();
  if (!$('#alerts')) $('#whoami').before(...alertControls(ctx.notify));
  // A notification's link: /messenger/?open=<conversation>.
  const open = Number(new URLSearchParams(location.search).get('open'));
  if (open) ctx.openDialogue(open);
}

$('#availability').addEventListener('change', async (e) => {
  try {
    await api('PUT', '/me/status', { status: e.target.value, offline_notifications: ctx.me.offline_notifications });
  } catch (err) { ctx.notify(err.message); }
});

let searchTimer = null;
$('#search').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search(e.target.value.trim()), 250);
});

async function search(q) {
  if (!q) { route(); return; }
  const hits = await api('GET', `/chat/search?q=${encodeURIComponent(q)}`);
  $('#list').replaceChildren(el('p', { class: 'totals' }, `${hits.length} found`),
    ...hits.map((h) => el('button', { class: 'item hit', onclick: () => ctx.openDialogue(h.dialogue_id) },
      el('div', { class: 'top' }, el('strong', {}, `#${h.dialogue_id}`), el('span', { class: 'muted' }, new Date(h.at).toLocaleDateString())),
      el('div', { class: 'preview' }, h.snippet))));
}

function route() {
  const view = location.hash.slice(1) || 'mine';
  ctx.view = view;
  for (const a of document.querySelectorAll('#views a')) a.classList.toggle('active', a.dataset.view === view);
  ctx.refreshLists();
}

const STATE_WORDS = { new: 'New', unassigned: 'Waiting for someone', assigned: 'Assigned', ended: 'Ended' };
const conversations = (n) => `${n} conversation${n === 1 ? '' : 's'}`;

// Where the guest wrote from, by the tags the guest pages and the kiosk give: "Room 102",
// "Kiosk Lobby".
function place(d) {
  const tags = d.visitor_tags || [];
  const room = tags.find((t) => t.startsWith('room-'));
  const kiosk = tags.find((t) => t.startsWith('kiosk-'));
  const name = (tag, prefix) => tag.slice(prefix.length).replace(/-+/g, ' ').trim();
  if (room) return /^\d+$/.test(name(room, 'room-')) ? `Room ${name(room, 'room-')}` : name(room, 'room-');
  if (kiosk) return `Kiosk ${name(kiosk, 'kiosk-')}`;
  return '';
}

function summaryItem(d) {
  const unread = d.marked_unread || d.unread > 0 ? el('span', { class: 'unread' }, d.marked_unread ? '•' : d.unread) : null;
  return el('button', { class: `item${ctx.open?.id === d.id ? ' active' : ''}`, 'data-dialogue': d.id, onclick: () => ctx.openDialogue(d.id) },
    el('div', { class: 'top' }, el('strong', {}, d.title), place(d) ? el('span', { class: 'muted place' }, place(d)) : null, unread),
    el('div', { class: 'preview' }, d.last_body || ''),
    el('div', { class: 'muted state' }, `${STATE_WORDS[d.state] || d.state}${d.assignee_name ? ` · ${d.assignee_name}` : ''}${d.rating ? ` · ★${d.rating}` : ''}`));
}

async function renderView() {
  const list = $('#list');
  const view = ctx.view;
  if (['mine', 'others', 'unassigned', 'missed', 'history', 'direct'].includes(view)) {
    const extra = view === 'history' ? historyRange() : null;
    const q = view === 'history' ? `&from=${extra.from.value}&to=${extra.to.value}` : '';
    const data = await api('GET', `/chat/dialogues?view=${view}${q}`);
    // A slower answer for a view the person has already left must not replace the new one.
    if (ctx.view !== view) return;
    const t = data.totals;
    const totals = el('p', { class: 'totals' }, `${conversations(t.count)}${view === 'history' ? ` · ${t.missed} missed · ${t.rated} rated${t.average_rating ? ` · ★ ${t.average_rating.toFixed(1)}` : ''}` : ''}`);
    const newDirect = view === 'direct' ? directPicker() : null;
    // Missed calls belong with the missed conversations: the guest waited for someone.
    const calls = view === 'missed' ? await missedCalls() : [];
    if (ctx.view !== view) return;
    list.replaceChildren(...(extra ? [extra.form] : []), totals, ...(newDirect ? [newDirect] : []), ...data.dialogues.map(summaryItem), ...calls);
  } else if (view === 'leads') {
    const leads = await api('GET', '/chat/leads');
    if (ctx.view !== view) return;
    list.replaceChildren(el('p', { class: 'totals' }, `${leads.length} leads`), ...leads.map((l) => el('div', { class: 'item lead' },
      el('div', { class: 'top' }, el('strong', {}, l.name), el('span', { class: 'muted' }, new Date(l.created_at).toLocaleString())),
      el('div', {}, el('a', { href: `mailto:${l.email}` }, l.email), l.phone ? ` · ${l.phone}` : ''),
      el('div', { class: 'preview' }, l.message))));
  } else if (view === 'calls') {
    await renderCallLog(list, () => ctx.view);
  } else if (view === 'visitors') {
    renderVisitors();
  } else if (view === 'statistics') {
    const s = await api('GET', '/chat/statistics');
    if (ctx.view !== view) return;
    const fmt = (f) => [f.dialogues, f.missed_rate == null ? '—' : `${Math.round(f.missed_rate * 100)}%`,
      f.average_first_response_secs == null ? '—' : `${Math.round(f.average_first_response_secs)} s`,
      f.average_rating == null ? '—' : f.average_rating.toFixed(1)];
    const row = (label, f) => el('tr', {}, el('td', {}, label), ...fmt(f).map((x) => el('td', {}, x)));
    const head = el('tr', {}, ...['', 'Dialogues', 'Missed', 'First response', 'Rating'].map((h) => el('th', {}, h)));
    list.replaceChildren(el('div', { class: 'stats' },
      el('h3', {}, `${s.from} – ${s.to}`),
      el('table', { class: 'totals-table' }, head, row('All', s.totals)),
      el('h3', {}, 'Per day'), el('table', {}, head.cloneNode(true), ...s.days.map((d) => row(d.day, d))),
      el('h3', {}, 'Per agent'), el('table', { class: 'agents-table' }, head.cloneNode(true), ...s.agents.map((a) => row(a.name, a))),
      ...(await callTotals() || [])));
  }
  updateCounts();
}

function historyRange() {
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 7 * 864e5);
  const iso = (d) => d.toISOString().slice(0, 10);
  ctx.range = ctx.range || { from: iso(weekAgo), to: iso(today) };
  const from = el('input', { type: 'date', value: ctx.range.from, 'aria-label': 'From' });
  const to = el('input', { type: 'date', value: ctx.range.to, 'aria-label': 'To' });
  const form = el('form', { class: 'totals', onchange: () => { ctx.range = { from: from.value, to: to.value }; renderView(); } }, from, ' – ', to);
  return { form, from, to };
}

function directPicker() {
  const select = el('select', { 'aria-label': 'Message a colleague' }, el('option', { value: '' }, 'Message a colleague…'),
    ...ctx.team.filter((t) => t.id !== ctx.me.id).map((t) => el('option', { value: t.id }, t.nickname || t.name)));
  select.addEventListener('change', async () => {
    if (!select.value) return;
    const { dialogue_id: id } = await api('POST', '/chat/direct', { user_id: Number(select.value) });
    await ctx.openDialogue(id);
    renderView();
  });
  return el('div', { class: 'totals' }, select);
}

function renderVisitors() {
  if (ctx.view !== 'visitors') return;
  $('#list').replaceChildren(el('p', { class: 'totals' }, `${ctx.visitors.length} online`),
    ...ctx.visitors.map((v) => el('div', { class: 'item visitor' },
      el('div', { class: 'top' }, el('strong', {}, v.display_name), el('span', { class: 'muted' }, v.channel)),
      el('div', { class: 'preview' }, v.page_title || v.page_url))));
}

async function updateCounts() {
  for (const view of ['mine', 'others', 'unassigned']) {
    if (view === 'others' && ctx.me.role === 'agent') continue;
    api('GET', `/chat/dialogues?view=${view}`).then((d) => {
      const n = view === 'mine' ? d.dialogues.filter((x) => x.unread > 0 || x.marked_unread).length : d.totals.count;
      document.querySelector(`#views [data-view="${view}"] .count`).textContent = n ? String(n) : '';
    }).catch(() => {});
  }
  document.querySelector('#views [data-view="visitors"] .count').textContent = ctx.visitors.length ? String(ctx.visitors.length) : '';
}

let refreshTimer = null;
ctx.refreshLists = () => {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { if (!$('#search').value.trim()) renderView().catch((e) => ctx.notify(e.message)); }, 150);
};

ctx.openDialogue = async (id) => {
  try {
    const detail = await api('GET', `/chat/dialogues/${id}`);
    const last = detail.messages.length ? detail.messages[detail.messages.length - 1].seq : 0;
    ctx.socket.track(id, last);
    // Opening the same conversation again (after joining, say) keeps what was being typed.
    const before = ctx.open?.id === id ? ctx.open.textarea : null;
    const typing = before && document.activeElement === before;
    ctx.open = new DialogueView(ctx, detail);
    if (before?.value && ctx.open.textarea) {
      ctx.open.textarea.value = before.value;
      if (typing) ctx.open.textarea.focus();
    }
    for (const b of document.querySelectorAll('#list .item')) b.classList.toggle('active', Number(b.dataset.dialogue) === id);
  } catch (e) { ctx.notify(e.message); }
};

function onFrame(f) {
  switch (f.type) {
    case 'welcome': ctx.visitors = f.visitors || []; break;
    case 'message':
      if (f.message.author_kind === 'guest' && !f.message.private) guestWrote(f.message, ctx.open?.id === f.message.dialogue_id);
      if (ctx.open?.id === f.message.dialogue_id) { ctx.open.add(f.message); ctx.open.markRead(); }
      ctx.refreshLists();
      break;
    case 'dialogue':
      if (ctx.open?.id === f.dialogue.id && !f.visible) {
        ctx.open = null;
        ctx.pane.replaceChildren(el('p', { class: 'muted empty' }, 'This conversation is now with a colleague.'));
      } else if (ctx.open?.id === f.dialogue.id && ctx.open.detail.dialogue.state !== f.dialogue.state) {
        ctx.openDialogue(f.dialogue.id);
      }
      ctx.refreshLists();
      break;
    case 'typing': if (ctx.open?.id === f.dialogue_id) ctx.open.showTyping(f.who, f.on); break;
    case 'guest_read': if (ctx.open?.id === f.dialogue_id) ctx.open.showGuestRead(f.seq); break;
    case 'visitors': ctx.visitors = f.visitors; renderVisitors(); updateCounts(); break;
    case 'notice': ctx.notify(f.text); break;
    case 'call': ctx.calls.update(f.call); break;
    case 'scan': ctx.calls.scanned(f); break;
    case 'error': ctx.notify(f.message); break;
    default: break;
  }
}

$('#signout').addEventListener('click', async () => {
  await api('POST', '/auth/logout').catch(() => {});
  location.reload();
});

boot();
