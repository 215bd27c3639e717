// The kiosk calls reception (DESK-3) through the caller's socket /ws/kiosk, and, asked
// by the receptionist, scans a guest's document (DESK-5).
import { el } from '/common/api.js';
import { placeCall } from '/common/caller.js';

/** Places the kiosk's call; see `placeCall`. */
export function callReception({ video, w, onWrite, onClose }) {
  return placeCall({ path: '/ws/kiosk', mount: document.body, video, w, onWrite, onClose,
    onScanRequest: (screen, stream, callId, shoot) => scanGuide(screen, stream, w, callId, shoot) });
}

// A document for check-in (DESK-5): the guest holds it inside the frame; the kiosk takes the
// sharpest of a few stills (the guest's press, or the receptionist's "take the shot") and
// sends it to the hub, which keeps it encrypted. Nothing stays on the tablet.
function scanGuide(screen, stream, w, callId, shoot) {
  const camera = stream?.getVideoTracks()[0];
  if (!camera || callId == null) return;
  let guide = screen.root.querySelector('.scan-guide');
  // The document is shown to the camera: it is on while the guide is, whatever the guest
  // chose for the call, and back as it was afterwards.
  const wasOn = camera.enabled;
  camera.enabled = true;
  if (!guide) {
    const video = el('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true;
    video.srcObject = new MediaStream([camera]);
    const status = el('p', { class: 'scan-status', role: 'status' }, w.scanHint);
    const take = el('button', { type: 'button', class: 'write scan-take', onclick: () => capture(guide, video, status, camera, w, callId) }, w.takePhoto);
    const close = el('button', { type: 'button', class: 'done scan-close', onclick: () => { guide.remove(); camera.enabled = wasOn; } }, w.back);
    guide = el('div', { class: 'scan-guide' }, el('div', { class: 'scan-view' }, video, el('div', { class: 'scan-frame' })), status,
      el('div', { class: 'actions' }, take, close));
    guide.restore = () => { camera.enabled = wasOn; };
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
  // A dark frame (a covered lens, a camera still waking) is no document.
  if (!best || best.brightness < 12) {
    status.textContent = w.scanDark;
    take.disabled = false;
    return;
  }
  const blob = await new Promise((r) => best.canvas.toBlob(r, 'image/jpeg', 0.92));
  const sent = blob && await fetch(`/api/v1/kiosk/scan?call_id=${callId}`, {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'image/jpeg' }, body: blob,
  }).then((r) => r.ok, () => false);
  status.textContent = sent ? w.scanned : w.scanFailed;
  take.disabled = false;
  if (sent) setTimeout(() => { guide.remove(); guide.restore(); }, 2500);
}

// The video's current frame, how sharp it is (the variance of a Laplacian over a small grey
// copy: a blurred or moving card has little edge energy) and how bright (0–255).
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
  let sum = 0; let sq = 0; let n = 0; let light = 0;
  for (let y = 1; y < sh - 1; y += 1) {
    for (let x = 1; x < sw - 1; x += 1) {
      const l = 4 * grey(x, y) - grey(x - 1, y) - grey(x + 1, y) - grey(x, y - 1) - grey(x, y + 1);
      sum += l; sq += l * l; n += 1; light += grey(x, y);
    }
  }
  return { canvas, sharpness: n ? sq / n - (sum / n) ** 2 : 0, brightness: n ? light / n : 0 };
}
