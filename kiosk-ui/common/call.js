// A call's browser end, shared by the lobby kiosk and the Team Messenger (DESK-3): the
// camera and microphone, an offer with its candidates gathered (the hub takes no trickle),
// and the call screen (the other side large, this side small; mute, camera off, switch
// camera, hang up). Media goes to the hub, which forwards it to the other side.
import { el } from '/common/api.js';

/** The camera and microphone (or only the microphone); null when neither can be used. */
export async function localMedia(video) {
  if (!navigator.mediaDevices?.getUserMedia) return null;
  const camera = video ? { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' } : false;
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: camera });
  } catch {
    if (!video) return null;
    return navigator.mediaDevices.getUserMedia({ audio: true, video: false }).catch(() => null);
  }
}

/**
 * A peer connection sending `stream` (receiving whatever the other side sends); `iceServers`
 * (RTCIceServer entries: the relay's TURN) for an end off the hotel's network.
 */
export function connection(stream, iceServers = []) {
  const pc = new RTCPeerConnection({ iceServers });
  const tracks = stream ? stream.getTracks() : [];
  for (const t of tracks) pc.addTrack(t, stream);
  // Hear and see the other side even without a camera or microphone here.
  for (const kind of ['audio', 'video']) {
    if (!tracks.some((t) => t.kind === kind)) pc.addTransceiver(kind, { direction: 'recvonly' });
  }
  return pc;
}

/** The offer with every candidate in it, once gathering is done (at most 3 s). */
export async function gatheredOffer(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 3000);
    });
  }
  return pc.localDescription.sdp;
}

/** The call screen. `words`: mute, unmute, cameraOff, cameraOn, switchCamera, hangUp. */
export class CallScreen {
  constructor({ words, stream, onHangUp }) {
    this.words = words;
    this.stream = stream;
    this.remote = el('video', { class: 'remote', autoplay: true, playsinline: true });
    this.local = el('video', { class: 'local', autoplay: true, playsinline: true, muted: true });
    this.local.muted = true;
    if (stream && stream.getVideoTracks().length) this.local.srcObject = stream;
    else this.local.hidden = true;
    this.status = el('p', { class: 'call-status', role: 'status' });
    this.timer = el('span', { class: 'call-timer' });
    const button = (cls, label, onclick) => el('button', { type: 'button', class: cls, onclick }, label);
    const audio = stream?.getAudioTracks()[0];
    const mute = button('call-mute', words.mute, () => {
      audio.enabled = !audio.enabled;
      mute.textContent = audio.enabled ? words.mute : words.unmute;
      mute.setAttribute('aria-pressed', String(!audio.enabled));
    });
    const cam = button('call-camera', words.cameraOff, () => {
      const v = this.videoTrack();
      v.enabled = !v.enabled;
      cam.textContent = v.enabled ? words.cameraOff : words.cameraOn;
      cam.setAttribute('aria-pressed', String(!v.enabled));
    });
    this.switcher = button('call-switch', words.switchCamera, () => this.switchCamera());
    this.switcher.hidden = true;
    mute.hidden = !audio;
    cam.hidden = !this.videoTrack();
    // The hang-up button appears where the call button was: a double tap must not end the
    // call it has just placed.
    const shown = Date.now();
    const hang = button('call-hangup', words.hangUp, () => { if (Date.now() - shown > 800) onHangUp(); });
    this.root = el('section', { class: 'call', id: 'call', role: 'dialog', 'aria-modal': 'true' },
      this.remote, this.local, el('div', { class: 'call-bar' }, this.status, this.timer),
      el('div', { class: 'call-controls' }, mute, cam, this.switcher, hang));
    navigator.mediaDevices?.enumerateDevices?.().then((d) => {
      this.switcher.hidden = !this.videoTrack() || d.filter((x) => x.kind === 'videoinput').length < 2;
    }).catch(() => {});
  }

  videoTrack() { return this.stream?.getVideoTracks()[0] || null; }

  attach(pc) {
    this.pc = pc;
    pc.addEventListener('track', (e) => {
      const s = this.remote.srcObject || new MediaStream();
      s.addTrack(e.track);
      this.remote.srcObject = s;
      this.remote.play?.().catch(() => {});
    });
  }

  say(text) { this.status.textContent = text; }

  started() {
    const t0 = Date.now();
    const two = (n) => String(n).padStart(2, '0');
    clearInterval(this.ticker);
    this.ticker = setInterval(() => {
      const s = Math.floor((Date.now() - t0) / 1000);
      this.timer.textContent = `${Math.floor(s / 60)}:${two(s % 60)}`;
    }, 1000);
  }

  // The next camera (front, back, …), swapped into the call without renegotiating.
  async switchCamera() {
    const cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    const now = this.videoTrack()?.getSettings().deviceId;
    const next = cams[(cams.findIndex((c) => c.deviceId === now) + 1) % cams.length];
    const fresh = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: next.deviceId }, width: { ideal: 640 }, height: { ideal: 480 } } });
    const track = fresh.getVideoTracks()[0];
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === 'video');
    await sender?.replaceTrack(track);
    const old = this.videoTrack();
    this.stream.removeTrack(old);
    old.stop();
    this.stream.addTrack(track);
    this.local.srcObject = this.stream;
  }

  /** Stops the camera and microphone and closes the connection; the screen stays for the caller to remove. */
  close() {
    clearInterval(this.ticker);
    this.stream?.getTracks().forEach((t) => t.stop());
    this.pc?.close();
  }
}

/** A ringing tone (or a ringback), repeated until stopped; silent where audio is not allowed yet. */
export function ringer(high = 880) {
  let ctx = null;
  const beep = () => {
    try {
      ctx = ctx || new AudioContext();
      for (const [at, f] of [[0, high], [0.4, high * 0.8]]) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = f;
        gain.gain.setValueAtTime(0.12, ctx.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.35);
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + at);
        osc.stop(ctx.currentTime + at + 0.35);
      }
    } catch { /* no audio device */ }
  };
  beep();
  const timer = setInterval(beep, 2500);
  return () => { clearInterval(timer); ctx?.close().catch(() => {}); };
}
