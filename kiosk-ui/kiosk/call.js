// The kiosk calls reception (DESK-3): its camera and microphone go to the hub over one
// peer connection, and the call's state comes over the kiosk's socket (/ws/kiosk): ringing,
// connected with a named receptionist, ended. Nobody answering in the ring time is a missed
// call, and the guest is offered the text chat instead.
import { el } from '/common/api.js';
import { CallScreen, connection, gatheredOffer, localMedia, ringer } from '/common/call.js';

/**
 * Places a call. `w`: the kiosk's words in the guest's language; `onWrite` opens the text
 * chat; `onClose` is called when the call screen goes.
 */
export async function callReception({ video, w, onWrite, onClose }) {
  const stream = await localMedia(video);
  let socket = null;
  let stopRinging = () => {};
  let over = false;
  const screen = new CallScreen({ words: w, stream, onHangUp: () => finish('hung_up') });
  document.body.append(screen.root);
  document.body.classList.add('in-call');

  function finish(outcome) {
    if (over) return;
    over = true;
    stopRinging();
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'hangup' }));
    socket?.close();
    clearInterval(finish.ping);
    screen.close();
    const close = () => { screen.root.remove(); document.body.classList.remove('in-call'); onClose(); };
    if (outcome === 'missed' || outcome === 'failed' || outcome === 'unavailable') {
      const text = { missed: w.missed, failed: w.callFailed, unavailable: w.noMedia }[outcome];
      screen.root.replaceChildren(el('div', { class: 'call-over' }, el('p', {}, text),
        el('div', { class: 'actions' },
          el('button', { type: 'button', class: 'write', id: 'call-write', onclick: () => { close(); onWrite(); } }, w.write),
          el('button', { type: 'button', class: 'done', onclick: close }, w.back))));
      setTimeout(() => { if (screen.root.isConnected) close(); }, 60000);
    } else {
      screen.root.replaceChildren(el('div', { class: 'call-over' }, el('p', {}, w.ended)));
      setTimeout(close, 2500);
    }
  }

  if (!stream) return finish('unavailable');
  screen.say(w.calling);
  const pc = connection(stream);
  screen.attach(pc);
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState === 'failed') finish('failed');
  });
  const sdp = await gatheredOffer(pc);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}/ws/kiosk`);
  socket.addEventListener('open', () => {
    socket.send(JSON.stringify({ type: 'call', sdp }));
    finish.ping = setInterval(() => socket.send(JSON.stringify({ type: 'ping' })), 30000);
  });
  socket.addEventListener('close', () => finish('failed'));
  socket.addEventListener('message', async (event) => {
    let f;
    try { f = JSON.parse(event.data); } catch { return; }
    if (f.type === 'answer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: f.sdp }).catch(() => finish('failed'));
    } else if (f.type === 'call_state' && f.state === 'ringing') {
      stopRinging = ringer(440);
    } else if (f.type === 'call_state' && f.state === 'connected') {
      stopRinging();
      screen.say(w.talkingWith.replace('{name}', f.agent));
      screen.started();
      screen.root.classList.add('connected');
    } else if (f.type === 'call_state' && f.state === 'ended') {
      finish(f.outcome);
    } else if (f.type === 'error') {
      finish('failed');
    }
  });
}
