// The lobby kiosk (DESK-1, 2, 3, 4): pairs once with an admin's code, then shows the idle
// screen (time, weather, the Wi-Fi's and the hotel guide's codes) from the hub's caches,
// refreshed every minute; it never shows a browser error page: without the hub it keeps
// what it last had and tries again. A guest calls reception (video or voice, `call.js`)
// or writes to it; when they tap
// Done, or after a quiet minute and a half (three with the chat in use), the tablet forgets
// that guest's chat and language, for the next guest.
import { el } from '/common/api.js';
import { WORDS, wordsFor } from '/kiosk/words.js';
import { callReception } from '/kiosk/call.js';

const root = document.getElementById('kiosk');
const QUIET_MS = 90 * 1000;
let screen = null;
let lang = localStorage.getItem('kiosk.lang') || '';
let retry = 5000;
let lastTouch = Date.now();
let chatting = false;
let calling = false;

const sky = (code) => {
  if (code == null) return '';
  if (code === 0) return '☀️';
  if (code <= 2) return '🌤️';
  if (code === 3) return '☁️';
  if (code <= 48) return '🌫️';
  if (code <= 67) return '🌧️';
  if (code <= 77) return '❄️';
  if (code <= 82) return '🌦️';
  if (code <= 86) return '🌨️';
  return '⛈️';
};
const degrees = (t) => (t == null ? '' : `${Math.round(t)}°`);
const two = (n) => String(n).padStart(2, '0');
// The property's local time: the hub gives its offset from UTC in minutes.
const local = () => new Date(Date.now() + (screen ? screen.utc_offset_minutes : 0) * 60000);
const hhmm = (iso) => { const d = new Date(Date.parse(iso) + screen.utc_offset_minutes * 60000); return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`; };
const svg = (text) => {
  const node = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
  return node.nodeName === 'svg' ? document.importNode(node, true) : el('span');
};

async function load() {
  let response;
  try {
    response = await fetch('/api/v1/kiosk/idle', { credentials: 'same-origin' });
  } catch {
    return offline();
  }
  if (response.status === 401) return pairing();
  if (!response.ok) return offline();
  screen = await response.json();
  retry = 5000;
  if (!lang) lang = screen.languages[0] || navigator.language;
  document.documentElement.style.setProperty('--accent', screen.accent);
  if (!chatting) draw();
  document.body.classList.remove('offline');
  setTimeout(load, 60000);
}

// Without the hub: what was on screen stays, with a quiet word, and the kiosk tries again.
function offline() {
  if (!screen) root.replaceChildren(el('p', { class: 'connecting' }, wordsFor(lang || navigator.language).connecting));
  document.body.classList.add('offline');
  setTimeout(load, retry);
  retry = Math.min(retry * 2, 60000);
}

function pairing() {
  const w = wordsFor(lang || navigator.language);
  const code = el('input', { id: 'pair-code', autocomplete: 'off', autocapitalize: 'characters', maxlength: 12, required: true, 'aria-label': w.code, placeholder: 'ABCD-2345' });
  const error = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'pairing' }, el('h1', {}, w.pairTitle), el('p', {}, w.pairHint), code,
    el('button', { type: 'submit' }, w.pair), error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const r = await fetch('/api/v1/kiosk/pair', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: code.value }) }).catch(() => null);
    if (r && r.ok) return load();
    if (r && r.status === 429) {
      const minutes = Math.max(1, Math.ceil(Number(r.headers.get('retry-after') || 60) / 60));
      error.textContent = w.tooMany.replace('{n}', minutes);
      return;
    }
    const data = r ? await r.json().catch(() => null) : null;
    error.textContent = data?.error?.message || w.connecting;
  });
  root.replaceChildren(form);
  code.focus();
}

function draw() {
  const w = wordsFor(lang);
  document.documentElement.lang = lang.split('-')[0];
  const clock = el('div', { class: 'clock', id: 'clock' });
  const date = el('div', { class: 'date', id: 'date' });
  const tick = () => {
    const d = local();
    clock.textContent = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
    date.textContent = d.toLocaleDateString(lang, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' });
  };
  tick();
  const weather = screen.weather ? el('section', { class: 'card weather' },
    el('div', { class: 'now' }, el('span', { class: 'sky' }, sky(screen.weather.weather_code)), ' ', degrees(screen.weather.temperature)),
    el('div', { class: 'hours' }, screen.weather.hours.map((h) => el('div', {}, el('div', { class: 'muted' }, hhmm(h.time)),
      el('div', {}, sky(h.weather_code)), el('div', {}, degrees(h.temperature))))),
    el('p', { class: 'muted' }, w.updated.replace('{n}', screen.weather.age_minutes),
      screen.sunrise ? ` · ${w.sunrise} ${hhmm(screen.sunrise)}` : '', screen.sunset ? ` · ${w.sunset} ${hhmm(screen.sunset)}` : '')) : null;
  const wifi = screen.wifi ? el('section', { class: 'card code', id: 'wifi' }, el('h2', {}, w.wifi), svg(screen.wifi.qr),
    el('p', {}, w.scanWifi), el('p', { class: 'wifi-login' }, `${w.network}: `, el('b', {}, screen.wifi.ssid),
      screen.wifi.password ? el('br') : null, screen.wifi.password ? `${w.password}: ` : null,
      screen.wifi.password ? el('b', {}, screen.wifi.password) : null)) : null;
  const guide = screen.reception_qr ? el('section', { class: 'card code', id: 'guide' }, el('h2', {}, w.guide), svg(screen.reception_qr), el('p', {}, w.scanGuide)) : null;
  const note = screen.note ? el('p', { class: 'note', id: 'note' }, screen.note) : null;
  const languages = Object.keys(WORDS).filter((t) => !screen.languages.length || screen.languages.some((l) => l.split('-')[0] === t));
  const switcher = el('nav', { class: 'langs', 'aria-label': w.language }, languages.map((t) =>
    el('button', { type: 'button', lang: t, 'aria-pressed': String(t === lang.split('-')[0]), onclick: () => { lang = t; localStorage.setItem('kiosk.lang', t); dropChat(); draw(); } }, WORDS[t].name)));
  const write = el('button', { type: 'button', class: 'write', id: 'write', onclick: () => { openChat(); draw(); } }, w.write);
  // While a guest chats: the way to leave nothing behind for the next guest.
  const done = chatting ? el('button', { type: 'button', class: 'done', id: 'done', onclick: forgetGuest }, w.done) : null;
  const call = (video) => () => {
    if (calling) return;
    calling = true;
    // The chat's frame sits above everything: it steps aside for the call.
    window.HotelHubChat?.hideWidget();
    const ended = () => { calling = false; lastTouch = Date.now(); if (chatting) window.HotelHubChat?.showWidget(); };
    callReception({ video, w, onWrite: () => { openChat(); draw(); }, onClose: ended }).catch(ended);
  };
  const calls = !screen.calls ? null : el('div', { class: 'actions calls' },
    el('button', { type: 'button', class: 'done call-video', id: 'call-video', onclick: call(true) }, w.call),
    el('button', { type: 'button', class: 'done call-voice', id: 'call-voice', onclick: call(false) }, w.voiceCall));
  const attract = el('p', { class: 'attract', lang: lang.split('-')[0] }, w.touch);
  root.replaceChildren(
    el('header', {}, screen.logo_url ? el('img', { src: screen.logo_url, alt: '' }) : null, el('h1', {}, screen.property), switcher),
    el('div', { class: 'board' }, el('section', { class: 'time' }, clock, date, note, weather), el('div', { class: 'codes' }, wifi, guide)),
    el('footer', {}, done ? el('div', { class: 'actions' }, write, done) : write, calls, attract));
  clearInterval(draw.timer);
  let turn = 0;
  draw.timer = setInterval(() => {
    tick();
    // The attract loop: the invitation in each of the hotel's languages in turn, until a
    // guest has chosen one.
    if (++turn % 4 === 0 && !localStorage.getItem('kiosk.lang')) {
      const next = languages[(turn / 4) % languages.length];
      attract.lang = next;
      attract.textContent = WORDS[next].touch;
    }
  }, 1000);
}

// Text chat from the kiosk (DESK-4): the chat widget, its dialogue tagged with the kiosk.
function openChat() {
  chatting = true;
  if (window.HotelHubChat) {
    window.HotelHubChat.openChat();
    return;
  }
  const tag = `kiosk-${screen.kiosk.replace(/[^\p{L}\p{N}]+/gu, '-')}`;
  // No file attachments: the tablet's own files are not the guest's to send.
  document.body.append(el('script', { src: '/widget.js', 'data-key': screen.widget_key, 'data-tags': tag,
    'data-lang': lang.split('-')[0], 'data-state': 'open', 'data-attach': 'off', async: true }));
}

// Three quiet minutes: the next guest starts afresh (no one else's chat, the hotel's language).
setInterval(() => {
  // Typing in the chat happens inside its frame, where the kiosk sees no touches: a guest
  // with the chat focused gets twice as long.
  const inChat = document.activeElement && document.activeElement.tagName === 'IFRAME';
  if (calling) return;
  if (Date.now() - lastTouch < (inChat ? 2 * QUIET_MS : QUIET_MS)) return;
  lastTouch = Date.now();
  if (!chatting && !localStorage.getItem('kiosk.lang')) return;
  forgetGuest();
}, 10000);

// The chat's frame goes (its conversation stays with its token: reopened, in the language
// now chosen).
function dropChat() {
  document.querySelectorAll('script[src="/widget.js"], iframe[src*="/widget/frame.html"]').forEach((e) => e.remove());
  delete window.HotelHubChat;
}

// The chat's frame and its token go, and the hotel's language comes back; no reload, so
// a hub that is away at that moment shows no browser error page.
function forgetGuest() {
  dropChat();
  localStorage.clear();
  sessionStorage.clear();
  chatting = false;
  lang = screen && screen.languages.length ? screen.languages[0] : navigator.language;
  if (screen) draw();
}

// The screen stays on (Screen Wake Lock), and the first touch makes the kiosk full screen.
async function stayAwake() {
  try { await navigator.wakeLock?.request('screen'); } catch { /* refused: the tablet's own settings decide */ }
}
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') stayAwake(); });
document.addEventListener('pointerdown', () => {
  lastTouch = Date.now();
  if (!document.fullscreenElement) document.documentElement.requestFullscreen?.().catch(() => {});
  stayAwake();
}, { capture: true });
stayAwake();
// A kiosk opened anew starts with no guest's chat or language left from before.
localStorage.clear();
load();

// On the hub's own screen (the kiosk unit opens this page on loopback), a press of the
// box's button shows the set-up code over whatever is on screen, for two minutes.
if (['localhost', '127.0.0.1', '[::1]'].includes(location.hostname)) {
  const notice = el('div', { id: 'box-notice', hidden: true, role: 'alert' });
  document.body.append(notice);
  setInterval(async () => {
    const r = await fetch('/api/v1/gpio/notice', { credentials: 'same-origin' }).catch(() => null);
    const shown = r && r.status === 200 ? await r.json().catch(() => null) : null;
    notice.hidden = !shown;
    if (shown && notice.textContent !== shown.text) notice.textContent = shown.text;
  }, 2000);
}
