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
  let callId = null;
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
      scanGuide(screen, stream, w, callId, f.shoot);
    } else if (f.type === 'error') {
      finish('failed');
    }
  });
}

// A document for check-in (DESK-5): the guest holds it inside the frame; the kiosk takes the
// sharpest of a few stills (the guest's press, or the receptionist's "take the shot") and
// sends it to the hub, which keeps it encrypted. Nothing stays on the tablet.
function scanGuide(screen, stream, w, callId, shoot) {
  const camera = stream?.getVideoTracks()[0];
  if (!camera || callId == null) return;
  let guide = screen.root.querySelector('.scan-guide');
  if (!guide) {
    const video = el('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true;
    video.srcObject = new MediaStream([camera]);
    const status = el('p', { class: 'scan-status', role: 'status' }, w.scanHint);
    const take = el('button', { type: 'button', class: 'write scan-take', onclick: () => capture(guide, video, status, camera, w, callId) }, w.takePhoto);
    guide = el('div', { class: 'scan-guide' }, el('div', { class: 'scan-view' }, video, el('div', { class: 'scan-frame' })), status, take);
    screen.root.append(guide);
  }
  if (shoot) setTimeout(() => guide.querySelector('.scan-take').click(), 300);
}

async function capture(guide, video, status, camera, w, callId) {
  const take = guide.querySelector('.scan-take');
  if (take.disabled) return;
  take.disabled = true;
  const before = camera.getSettings();
  // A sharper still than the call's picture where the camera can give one.
  await camera.applyConstraints({ width: { ideal: 1920 }, height: { ideal: 1080 } }).catch(() => {});
  await new Promise((r) => setTimeout(r, 400));
  let best = null;
  for (let i = 0; i < 5; i += 1) {
    const shot = still(video);
    if (shot && (!best || shot.sharpness > best.sharpness)) best = shot;
    await new Promise((r) => setTimeout(r, 150));
  }
  await camera.applyConstraints({ width: { ideal: before.width || 640 }, height: { ideal: before.height || 480 } }).catch(() => {});
  const blob = best && await new Promise((r) => best.canvas.toBlob(r, 'image/jpeg', 0.92));
  const sent = blob && await fetch(`/api/v1/kiosk/scan?call_id=${callId}`, {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'image/jpeg' }, body: blob,
  }).then((r) => r.ok, () => false);
  status.textContent = sent ? w.scanned : w.scanFailed;
  take.disabled = false;
  if (sent) setTimeout(() => guide.remove(), 2500);
}

// The video's current frame, and how sharp it is: the variance of a Laplacian over a small
// grey copy (a blurred or moving card has little edge energy).
function still(video) {
  const [width, height] = [video.videoWidth, video.videoHeight];
  if (!width || !height) return null;
  const canvas = el('canvas', { width, height });
  canvas.getContext('2d').drawImage(video, 0, 0, width, height);
  const sw = 160;
  const sh = Math.max(2, Math.round((height * sw) / width));
  const small = el('canvas', { width: sw, height: sh });
  const g = small.getContext('2d', { willReadFrequently: true });
  g.drawImage(canvas, 0, 0, sw, sh);
  const px = g.getImageData(0, 0, sw, sh).data;
  const grey = (x, y) => { const i = (y * sw + x) * 4; return 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]; };
  let sum = 0; let sq = 0; let n = 0;
  for (let y = 1; y < sh - 1; y += 1) {
    for (let x = 1; x < sw - 1; x += 1) {
      const l = 4 * grey(x, y) - grey(x - 1, y) - grey(x + 1, y) - grey(x, y - 1) - grey(x, y + 1);
      sum += l; sq += l * l; n += 1;
    }
  }
  return { canvas, sharpness: n ? sq / n - (sum / n) ** 2 : 0 };
}
