// How the Team Messenger gets a person's attention (TEAM-3, NOTIFY-1): a guest message the
// person is not looking at rings (a short tone, on unless muted), counts in the title and
// on the app icon, and shows an OS notification while the app is in the background. With
// the app closed, Web Push does it: this turns it on (a secure page only: on plain HTTP the
// browser has no notifications or push, and the button says where the secure address is).
import { api, el } from '/common/api.js';

const MUTED = 'hotelhub.muted';
let unseen = 0;
let audio = null;

function tone() {
  if (localStorage.getItem(MUTED) === '1') return;
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.35);
  } catch { /* no audio device */ }
}

function badge() {
  const base = document.title.replace(/^\(\d+\) /, '');
  document.title = unseen ? `(${unseen}) ${base}` : base;
  if (navigator.setAppBadge) (unseen ? navigator.setAppBadge(unseen) : navigator.clearAppBadge()).catch(() => {});
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) { unseen = 0; badge(); }
});

/** A guest wrote in `dialogueId`; `looking` when that conversation is open and in view. */
export function guestWrote(message, looking) {
  if (looking && !document.hidden) return;
  unseen += 1;
  badge();
  tone();
  if (document.hidden && window.Notification?.permission === 'granted') {
    navigator.serviceWorker?.getRegistration('/messenger/').then((reg) => reg?.showNotification(
      `${message.author_name} wrote`,
      { body: message.body.slice(0, 140), tag: `dialogue-${message.dialogue_id}`,
        data: { url: `/messenger/?open=${message.dialogue_id}` } },
    )).catch(() => {});
  }
}

function b64urlBytes(s) {
  const raw = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function turnOnPush(button, notify) {
  if (!window.isSecureContext || !('PushManager' in window)) {
    notify("Alerts need the hub's secure (https://) address; the first time, trust the hub's certificate from /ca.crt.");
    return;
  }
  if (await Notification.requestPermission() !== 'granted') {
    notify('The browser blocks notifications for this page: allow them in its site settings.');
    return;
  }
  const reg = await navigator.serviceWorker.ready;
  const { public_key: key } = await api('GET', '/push/key');
  const sub = await reg.pushManager.getSubscription()
    || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlBytes(key) });
  await api('POST', '/push/subscriptions', sub.toJSON());
  button.textContent = 'Alerts on';
  button.disabled = true;
}

/** The header's controls: alerts (push) and the sound. */
export function alertControls(notify) {
  const on = window.Notification?.permission === 'granted' && window.isSecureContext;
  const push = el('button', { type: 'button', id: 'alerts', class: 'secondary', title: 'Notifications when this app is closed' },
    on ? 'Alerts on' : 'Turn on alerts');
  push.addEventListener('click', () => turnOnPush(push, notify).catch((e) => notify(e.message)));
  if (on) {
    // Keep the hub's copy of this browser's subscription current.
    navigator.serviceWorker?.ready.then((reg) => reg.pushManager.getSubscription())
      .then((sub) => sub && api('POST', '/push/subscriptions', sub.toJSON())).catch(() => {});
    push.disabled = true;
  }
  const muted = () => localStorage.getItem(MUTED) === '1';
  const sound = el('button', { type: 'button', id: 'sound', class: 'secondary', 'aria-pressed': String(!muted()) },
    muted() ? 'Sound off' : 'Sound on');
  sound.addEventListener('click', () => {
    localStorage.setItem(MUTED, muted() ? '0' : '1');
    sound.textContent = muted() ? 'Sound off' : 'Sound on';
    sound.setAttribute('aria-pressed', String(!muted()));
  });
  return [push, sound];
}
