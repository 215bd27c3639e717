// A kiosk call taken by a receptionist away from the hotel (issue 16, TURN): the lobby
// tablet is on the hotel's LAN; the receptionist's phone is on another network that cannot
// reach the hub at all, only the relay. She opens the Team Messenger through the relay,
// answers, and both ends get each other's picture and sound: the phone's media goes through
// the relay's TURN server (its selected ICE pair has a relayed candidate).
// Usage: node relay-turn.mjs LAN_URL PUBLIC_URL PAIRING_CODE PHONE_CHROMIUM RELAY_IP
//        AGENT_EMAIL AGENT_PASSWORD SCREENSHOT_DIR
import { mkdirSync } from 'node:fs';
import { launch, signIn } from './launch.mjs';

const [lan, outside, code, phoneChromium, relayIp, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
const media = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required'];

const recordConnections = () => {
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
};

// What the page's latest connection has received, and both ends of its selected pair.
const received = (page) => page.evaluate(async () => {
  const pc = window.__pcs?.[window.__pcs.length - 1];
  if (!pc) return null;
  const out = { state: pc.connectionState, frames: 0, audio: 0, local: null, remote: null };
  const stats = await pc.getStats();
  let pairId = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') out.frames += s.framesDecoded || 0;
    if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audio += s.packetsReceived || 0;
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  });
  const pair = pairId && stats.get(pairId);
  const end = (id) => { const c = id && stats.get(id); return c && { type: c.candidateType, address: c.address, port: c.port }; };
  if (pair) { out.local = end(pair.localCandidateId); out.remote = end(pair.remoteCandidateId); }
  return out;
});

// The hotel's lobby tablet, on the LAN (this namespace).
const lobby = await launch(media);
// The receptionist's phone, on a network of its own: it finds the relay by name.
const phone = await launch([...media, `--host-resolver-rules=MAP *.relay.turn ${relayIp}, MAP relay.turn ${relayIp}`], phoneChromium);
try {
  const staffContext = await phone.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, ignoreHTTPSErrors: true, reducedMotion: 'reduce' });
  await staffContext.addInitScript(recordConnections);
  const staff = await staffContext.newPage();
  staff.setDefaultTimeout(30000);
  staff.on('pageerror', (e) => console.error('phone page error:', e.message));
  // The hub itself is out of reach from the phone's network.
  const probe = await staffContext.newPage();
  const direct = await probe.goto(lan, { timeout: 3000 }).then(() => 'reached', () => 'unreachable');
  check(direct === 'unreachable', 'the phone cannot reach the hub directly');
  await probe.close();
  await signIn(staff, outside, '/messenger/', email, password);
  await staff.waitForSelector('#connection.online');

  const tablet = await lobby.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true, ignoreHTTPSErrors: true, reducedMotion: 'reduce' });
  await tablet.addInitScript(recordConnections);
  const kiosk = await tablet.newPage();
  kiosk.setDefaultTimeout(30000);
  await kiosk.goto(`${lan}/kiosk/`);
  await kiosk.fill('#pair-code', code);
  await kiosk.click('.pairing button[type=submit]');
  await kiosk.waitForSelector('#clock');
  await kiosk.click('#call-video');

  const ring = staff.locator('#ringing .ring:has-text("Lobby is calling")');
  await ring.waitFor();
  await staff.screenshot({ path: `${dir}/turn-phone-ringing.png` });
  await ring.locator('button.answer').click();
  await kiosk.locator('.call-status:has-text("Andre Agent")').waitFor();

  let seen = null;
  const deadline = Date.now() + 30000;
  for (;;) {
    seen = { phone: await received(staff), kiosk: await received(kiosk) };
    if (seen.phone?.frames > 10 && seen.kiosk?.frames > 10 && seen.phone.audio > 0 && seen.kiosk.audio > 0) break;
    check(Date.now() < deadline, `frames arrive on both ends: ${JSON.stringify(seen)}`);
    await staff.waitForTimeout(500);
  }
  // The hub's answer offers a relayed address of its own: it holds a TURN allocation too,
  // made with the credential the relay gave it.
  const hubAnswer = await staff.evaluate(() => window.__pcs[window.__pcs.length - 1].remoteDescription.sdp);
  check(/ typ relay/.test(hubAnswer), `the hub's answer has a relayed candidate:\n${hubAnswer}`);
  const pair = seen.phone;
  check([pair.local?.type, pair.remote?.type].includes('relay'),
    `the phone's media goes through TURN: ${JSON.stringify(pair)}`);
  check(pair.remote.address === relayIp || pair.local.type === 'relay', `through the relay at ${relayIp}: ${JSON.stringify(pair)}`);
  console.log(`phone: ${pair.frames} frames, pair ${pair.local.type} ${pair.local.address}:${pair.local.port} -> ${pair.remote.type} ${pair.remote.address}:${pair.remote.port}`);
  console.log(`kiosk: ${seen.kiosk.frames} frames, pair ${seen.kiosk.local.type} -> ${seen.kiosk.remote.type} ${seen.kiosk.remote.address}`);
  await staff.waitForTimeout(1000);
  await staff.screenshot({ path: `${dir}/turn-phone-call.png` });
  await kiosk.screenshot({ path: `${dir}/turn-kiosk-call.png` });
  const wide = await staff.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  check(!wide, 'the call fits the phone');

  await staff.locator('#call .call-timer:not(:empty)').waitFor();
  await staff.click('#call .call-hangup');
  await kiosk.locator('.call-over:has-text("The call has ended")').waitFor();
  console.log('relay turn ok');
} finally {
  await phone.close();
  await lobby.close();
}
