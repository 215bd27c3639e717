// A guest's call to reception, from the lobby kiosk or the chat widget (DESK-3, CHAT-3): the
// camera and microphone go to the hub over one peer connection, and the call's state comes
// over the caller's socket: ringing, connected with a named receptionist, ended. Nobody
// answering in the ring time is a missed call, and the guest is offered the text chat.
import { el } from '/common/api.js';
import { CallScreen, connection, gatheredOffer, localMedia, ringer } from '/common/call.js';

/**
 * Places a call over the caller's socket at `path` (`hello`: a first frame saying who is
 * calling, if the socket needs one) and shows it in `mount`. `w`: the words in the guest's
 * language; `onWrite` opens the text chat; `onClose` is called when the call screen goes;
 * `onScanRequest(screen, stream, callId, shoot)` is the kiosk's document scan.
 */
export async function placeCall({ path, hello, mount, video, w, onWrite, onClose, onScanRequest }) {
  const stream = await localMedia(video);
  let socket = null;
  let stopRinging = () => {};
  let over = false;
  const screen = new CallScreen({ words: w, stream, onHangUp: () => finish('hung_up') });
  mount.append(screen.root);
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
  let callId = null;
  const sdp = await gatheredOffer(pc);
  // Hung up (a second tap lands on the hang-up button) while the offer was gathered: no
  // call is placed at all.
  if (over) return undefined;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}${path}`);
  socket.addEventListener('open', () => {
    if (hello) socket.send(JSON.stringify(hello));
    socket.send(JSON.stringify({ type: 'call', sdp }));
    finish.ping = setInterval(() => socket.send(JSON.stringify({ type: 'ping' })), 30000);
  });
  socket.addEventListener('close', () => finish('failed'));
  socket.addEventListener('message', async (event) => {
    let f;
    try { f = JSON.parse(event.data); } catch { return; }
    if (f.type === 'answer') {
      callId = f.call_id;
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
    } else if (f.type === 'scan_request') {
      onScanRequest?.(screen, stream, callId, f.shoot);
    } else if (f.type === 'error') {
      finish('failed');
    }
  });
}
