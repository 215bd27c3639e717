// Calls in the Team Messenger (DESK-3): a call from the lobby kiosk rings here (a banner, a
// tone, an OS notification while the app is in the background) until someone answers it,
// it is missed, or the guest gives up; the first to answer takes it, and the others stop
// ringing. The call log is the Calls view.
import { api, el } from '/common/api.js';
import { CallScreen, connection, gatheredOffer, localMedia, ringer } from '/common/call.js';

const WORDS = {
  mute: 'Mute', unmute: 'Unmute', cameraOff: 'Camera off', cameraOn: 'Camera on',
  switchCamera: 'Switch camera', hangUp: 'Hang up',
};
const OUTCOMES = {
  ringing: 'Ringing', connected: 'On a call now', answered: 'Answered', missed: 'Missed',
  abandoned: 'Guest hung up before an answer', failed: 'Could not connect', interrupted: 'Cut off when the hub stopped',
};

export class Calls {
  constructor(ctx) {
    this.ctx = ctx;
    this.ringing = new Map();
    this.current = null;
    this.stopTone = null;
    this.banner = el('section', { id: 'ringing', class: 'ringing', 'aria-live': 'assertive', hidden: true });
    document.body.append(this.banner);
  }

  /** Rings for the calls ringing now (after the messenger opens or reconnects). */
  async refresh() {
    const ringing = await api('GET', '/calls/ringing').catch(() => []);
    this.ringing.clear();
    for (const c of ringing) this.ringing.set(c.id, c);
    this.draw();
  }

  /** A `call` frame: a call's new state. */
  update(call) {
    if (call.outcome === 'ringing') {
      const fresh = !this.ringing.has(call.id);
      this.ringing.set(call.id, call);
      if (fresh && document.hidden && window.Notification?.permission === 'granted') {
        navigator.serviceWorker?.getRegistration('/messenger/').then((reg) => reg?.showNotification(
          `${call.from} is calling the desk`, { body: call.video ? 'Video call' : 'Audio call', tag: `call-${call.id}`,
            data: { url: '/messenger/#calls' }, requireInteraction: true },
        )).catch(() => {});
      }
    } else {
      this.ringing.delete(call.id);
      if (this.current?.id === call.id && call.outcome !== 'connected') {
        if (!this.current.leaving) this.ctx.notify(call.outcome === 'failed' ? `The call with ${call.from} was cut off.` : `${call.from} hung up.`);
        this.hangUp(false);
      }
    }
    this.draw();
    if (this.ctx.view === 'calls') this.ctx.refreshLists();
  }

  draw() {
    const calls = [...this.ringing.values()];
    const ring = calls.length > 0 && !this.current;
    if (ring && !this.stopTone) this.stopTone = ringer();
    if (!ring && this.stopTone) { this.stopTone(); this.stopTone = null; }
    this.banner.hidden = !ring;
    this.banner.replaceChildren(...calls.map((c) => el('div', { class: 'ring', 'data-call': c.id },
      el('strong', {}, `${c.from} is calling`), el('span', { class: 'muted' }, c.video ? ' · video' : ' · audio'),
      el('div', { class: 'ring-actions' },
        el('button', { type: 'button', class: 'answer', onclick: () => this.answer(c, c.video) }, 'Answer'),
        c.video ? el('button', { type: 'button', class: 'secondary answer-audio', onclick: () => this.answer(c, false) }, 'Answer without camera') : null))));
  }

  async answer(call, video) {
    if (this.current) return;
    // Away from the hotel's network, the media goes through the relay's TURN server.
    const [stream, iceServers] = await Promise.all([localMedia(video), api('GET', '/calls/ice-servers').catch(() => [])]);
    const screen = new CallScreen({ words: WORDS, stream, onHangUp: () => this.hangUp(true) });
    this.current = { id: call.id, screen };
    this.draw();
    document.body.append(screen.root);
    screen.say(`Connecting to ${call.from}…`);
    const pc = connection(stream, iceServers);
    screen.attach(pc);
    // A document for check-in (DESK-5): the guest holds it to the kiosk's camera.
    const ask = (shoot) => api('POST', `/calls/${call.id}/scan`, { shoot }).catch((e) => this.ctx.notify(e.message));
    screen.root.querySelector('.call-controls').prepend(
      el('button', { type: 'button', class: 'call-scan', onclick: () => ask(false) }, 'Ask for a document'),
      el('button', { type: 'button', class: 'call-shoot', onclick: () => ask(true) }, 'Take the shot'));
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') { screen.say(`On a call with ${call.from}`); screen.started(); }
      if (pc.connectionState === 'failed' && this.current?.id === call.id) this.hangUp(true);
    });
    try {
      const { sdp } = await api('POST', `/calls/${call.id}/answer`, { sdp: await gatheredOffer(pc) });
      await pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (e) {
      this.ctx.notify(e.status === 409 ? 'Someone else has answered this call.' : e.message);
      this.hangUp(false);
    }
  }

  /** A `scan` frame: the kiosk sent the document asked for in call `call_id`. */
  scanned(f) {
    if (this.current?.id !== f.call_id) return;
    const seer = ['owner', 'admin'].includes(this.ctx.me.role);
    this.ctx.notify(seer ? 'The document was scanned and kept encrypted on the hub.'
      : 'The document was scanned. Owners and admins can see it.');
    if (!seer) return;
    const panel = el('aside', { class: 'scan-panel', 'data-scan': f.scan_id },
      el('img', { src: `/api/v1/scans/${f.scan_id}/image`, alt: 'The scanned document' }));
    const stays = el('select', { 'aria-label': 'Attach to a reservation' }, el('option', { value: '' }, 'Attach to a reservation…'));
    api('GET', '/reservations').then((list) => stays.append(...list.filter((r) => r.status !== 'cancelled')
      .map((r) => el('option', { value: r.id }, `${r.guest_name} · ${r.check_in} – ${r.check_out}`)))).catch(() => {});
    stays.addEventListener('change', () => stays.value && api('PUT', `/scans/${f.scan_id}/reservation`, { reservation_id: Number(stays.value) })
      .then(() => this.ctx.notify('Attached to the reservation.'), (e) => this.ctx.notify(e.message)));
    panel.append(stays);
    this.current.screen.root.querySelector('.scan-panel')?.remove();
    this.current.screen.root.append(panel);
  }

  /** Ends this messenger's call; `tell` says the hub should hear of it. */
  hangUp(tell) {
    const current = this.current;
    if (!current) return;
    current.leaving = true;
    this.current = null;
    if (tell) api('POST', `/calls/${current.id}/hangup`).catch(() => {});
    current.screen.close();
    current.screen.root.remove();
    this.draw();
  }
}

/** The Calls view: the log with its totals, the missed ones marked. */
export async function renderCallLog(list, view) {
  const log = await api('GET', '/calls');
  if (view() !== 'calls') return;
  const mins = duration;
  list.replaceChildren(
    el('p', { class: 'totals' }, `${log.total} calls · ${log.answered} answered · ${log.missed} missed or given up`,
      log.average_wait_secs != null ? ` · answered in ${Math.round(log.average_wait_secs)} s on average` : ''),
    ...log.calls.map((c) => el('div', { class: `item call-log ${c.outcome}`, 'data-call': c.id },
      el('div', { class: 'top' }, el('strong', {}, c.from), el('span', { class: 'muted' }, new Date(c.started_at).toLocaleString())),
      el('div', { class: 'preview' }, OUTCOMES[c.outcome] || c.outcome,
        c.answered_by_name ? ` · ${c.answered_by_name}` : '', c.duration_secs != null ? ` · ${mins(c.duration_secs)}` : '',
        c.video ? '' : ' · audio only'))));
}

function duration(s) {
  if (s == null) return '';
  const r = Math.round(s);
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${r % 60} s`;
}

/** The Missed view's calls: the last week's that nobody answered. */
export async function missedCalls() {
  const from = new Date(Date.now() - 7 * 864e5).toISOString().slice(0, 10);
  const log = await api('GET', `/calls?missed=true&from=${from}`).catch(() => null);
  if (!log || !log.calls.length) return [];
  return [el('p', { class: 'totals' }, `${log.calls.length} missed call${log.calls.length === 1 ? '' : 's'}`),
    ...log.calls.map((c) => el('a', { class: `item call-log ${c.outcome}`, href: '#calls', 'data-call': c.id },
      el('div', { class: 'top' }, el('strong', {}, c.from), el('span', { class: 'muted' }, new Date(c.started_at).toLocaleString())),
      el('div', { class: 'preview' }, OUTCOMES[c.outcome] || c.outcome)))];
}

/** Statistics' calls section. */
export async function callTotals() {
  const log = await api('GET', '/calls').catch(() => null);
  if (!log) return null;
  const cell = (x) => el('td', {}, x);
  return [el('h3', {}, 'Calls'), el('table', { class: 'calls-table' },
    el('tr', {}, ...['Calls', 'Answered', 'Missed', 'Answered in', 'Length'].map((h) => el('th', {}, h))),
    el('tr', {}, cell(log.total), cell(log.answered), cell(log.missed),
      cell(log.average_wait_secs == null ? '—' : duration(log.average_wait_secs)),
      cell(log.average_duration_secs == null ? '—' : duration(log.average_duration_secs))))];
}
