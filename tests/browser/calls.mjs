// Calls through the hub (DESK-3), three Chromium contexts with a fake camera and
// microphone: the lobby kiosk calls, the owner's and the agent's messengers ring, the agent
// answers and the owner's stops ringing (a late answer gets 409); both ends receive media
// through the hub (inbound RTP bytes and decoded frames grow on both, and the remote end of
// each side's selected ICE pair is a UDP socket of the hub's process); the agent hangs up
// and both legs end; a second call nobody answers is missed, the kiosk offers the text chat
// and the messengers are told. During the call the agent asks for a document scan and takes
// the shot; the kiosk sends it. Leaves calls-*.png.
// Usage: node calls.mjs HUB_URL HUB_PID OWNER_EMAIL OWNER_PASSWORD AGENT_EMAIL AGENT_PASSWORD SCREENSHOT_DIR
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { launch, signIn } from './launch.mjs';

const [hub, hubPid, ownerEmail, ownerPassword, agentEmail, agentPassword, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
const browser = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required']);

// Every peer connection a page makes, for getStats().
const recordConnections = () => {
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
};

// What the page's latest connection has received, and where its selected pair leads.
const media = (page) => page.evaluate(async () => {
  if (!window.__pcs) return null;
  const pc = window.__pcs[window.__pcs.length - 1];
  if (!pc) return null;
  const out = { state: pc.connectionState, video: { bytes: 0, frames: 0 }, audio: { bytes: 0, packets: 0 }, remote: null };
  const stats = await pc.getStats();
  let pairId = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') { out.video.bytes += s.bytesReceived || 0; out.video.frames += s.framesDecoded || 0; }
    if (s.type === 'inbound-rtp' && s.kind === 'audio') { out.audio.bytes += s.bytesReceived || 0; out.audio.packets += s.packetsReceived || 0; }
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  });
  const pair = pairId && stats.get(pairId);
  const remote = pair && stats.get(pair.remoteCandidateId);
  if (remote) out.remote = { address: remote.address || remote.ip, port: remote.port };
  return out;
});

// The process that owns a UDP port on this machine.
const owner = (port) => execFileSync('ss', ['-Huanp', `sport = :${port}`], { encoding: 'utf8' });

async function messenger(email, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
  await context.addInitScript(recordConnections);
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await signIn(page, hub, '/messenger/', email, password);
  await page.waitForSelector('#signin-form', { state: 'hidden' });
  await page.waitForSelector('#connection.online');
  return page;
}

try {
  const ownerPage = await messenger(ownerEmail, ownerPassword);
  const agentPage = await messenger(agentEmail, agentPassword);
  // A short ring time, so the unanswered call is missed soon.
  const ringSecs = 12;
  const saved = await ownerPage.request.put(`${hub}/api/v1/admin/calls/settings`, { data: { ring_secs: ringSecs } });
  check(saved.ok(), `the ring time is saved: ${saved.status()}`);
  const made = await ownerPage.request.post(`${hub}/api/v1/admin/kiosks/pairing`, { data: { name: 'Lobby' } });
  const { code } = await made.json();

  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true, reducedMotion: 'reduce' });
  await tablet.addInitScript(recordConnections);
  const kiosk = await tablet.newPage();
  kiosk.setDefaultTimeout(20000);
  await kiosk.goto(`${hub}/kiosk/`);
  await kiosk.fill('#pair-code', code);
  await kiosk.click('.pairing button[type=submit]');
  await kiosk.waitForSelector('#clock');

  // The guest taps "Video call reception": both messengers ring.
  await kiosk.click('#call-video');
  await kiosk.locator('.call-status:has-text("Calling reception")').waitFor();
  const ownerRing = ownerPage.locator('#ringing .ring:has-text("Lobby is calling")');
  const agentRing = agentPage.locator('#ringing .ring:has-text("Lobby is calling")');
  await ownerRing.waitFor();
  await agentRing.waitFor();
  const callId = await agentRing.getAttribute('data-call');
  await agentPage.screenshot({ path: `${dir}/calls-ringing.png` });

  // The agent answers; the owner's messenger stops ringing at once.
  await agentRing.locator('button.answer').click();
  await ownerPage.waitForSelector('#ringing', { state: 'hidden' });
  const late = await ownerPage.request.post(`${hub}/api/v1/calls/${callId}/answer`, { data: { sdp: 'v=0' } });
  check(late.status() === 409, `a second answer is refused with 409, not ${late.status()}`);
  await kiosk.locator('.call-status:has-text("Andre Agent")').waitFor();

  // Media flows both ways, through the hub.
  const first = { kiosk: null, agent: null };
  const deadline = Date.now() + 20000;
  for (;;) {
    first.kiosk = await media(kiosk);
    first.agent = await media(agentPage);
    if (first.kiosk?.video.frames > 0 && first.agent?.video.frames > 0 && first.kiosk.remote && first.agent.remote) break;
    check(Date.now() < deadline, `frames arrive on both sides: ${JSON.stringify(first)}`);
    await kiosk.waitForTimeout(500);
  }
  await kiosk.waitForTimeout(2000);
  const later = { kiosk: await media(kiosk), agent: await media(agentPage) };
  for (const side of ['kiosk', 'agent']) {
    const [a, b] = [first[side], later[side]];
    check(b.video.bytes > a.video.bytes && b.video.frames > a.video.frames, `${side}: video keeps arriving ${JSON.stringify([a, b])}`);
    check(b.audio.packets > a.audio.packets && b.audio.bytes > 0, `${side}: audio keeps arriving ${JSON.stringify([a, b])}`);
    const sockets = owner(b.remote.port);
    check(sockets.includes(`pid=${hubPid},`), `${side}: the selected pair's remote end ${b.remote.address}:${b.remote.port} is the hub's: ${sockets}`);
    console.log(`${side}: ${b.video.frames} frames, ${b.video.bytes} video bytes, ${b.audio.packets} audio packets from the hub at ${b.remote.address}:${b.remote.port}`);
  }
  check(later.kiosk.remote.port !== later.agent.remote.port, 'each side has its own leg on the hub');
  await kiosk.screenshot({ path: `${dir}/calls-kiosk.png` });
  await agentPage.screenshot({ path: `${dir}/calls-agent.png` });

  // A document for check-in: the agent asks, the kiosk shows where to hold it, the agent
  // takes the shot; the still goes to the hub (an agent is told owners and admins see it).
  await agentPage.click('#call .call-scan');
  await kiosk.locator('.scan-guide .scan-status:has-text("passport")').waitFor();
  await kiosk.screenshot({ path: `${dir}/calls-scan-guide.png` });
  await agentPage.click('#call .call-shoot');
  await kiosk.locator('.scan-status:has-text("Thank you")').waitFor();
  await agentPage.locator('#notice:has-text("Owners and admins can see it")').waitFor();
  await kiosk.waitForSelector('.scan-guide', { state: 'detached' });

  // The agent hangs up: both legs end, and the kiosk goes back to its idle screen.
  await agentPage.locator('#call .call-timer:not(:empty)').waitFor();
  await agentPage.click('#call .call-hangup');
  await kiosk.locator('.call-over:has-text("The call has ended")').waitFor();
  await kiosk.waitForSelector('#call', { state: 'detached' });
  await kiosk.waitForFunction(() => window.__pcs[window.__pcs.length - 1].connectionState === 'closed');
  await agentPage.waitForSelector('#call', { state: 'detached' });

  // A second call, voice only, that nobody answers: missed after the ring time.
  await kiosk.click('#call-voice');
  await ownerRing.waitFor();
  await kiosk.locator('#call-write').waitFor({ timeout: (ringSecs + 10) * 1000 });
  check((await kiosk.locator('.call-over').textContent()).includes('Nobody could answer'), 'the guest is told, and offered the chat');
  await ownerPage.waitForSelector('#ringing', { state: 'hidden' });
  await ownerPage.locator('#notice:has-text("Missed call from Lobby")').waitFor();
  await kiosk.screenshot({ path: `${dir}/calls-missed.png` });
  // The guest writes instead.
  await kiosk.click('#call-write');
  await kiosk.frameLocator('iframe[title="Chat"]').locator('.composer textarea').waitFor();

  // A guest on the hotel's website calls from the chat widget's channels panel (CHAT-3),
  // once the owner offers calls there: the same path through the hub.
  const chat = await (await ownerPage.request.get(`${hub}/api/v1/admin/chat/settings`)).json();
  chat.widget.calls = true;
  const put = await ownerPage.request.put(`${hub}/api/v1/admin/chat/settings`, { data: chat });
  check(put.ok(), `calls are offered in the widget: ${put.status()} ${await put.text()}`);
  const visitorContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' });
  await visitorContext.addInitScript(recordConnections);
  const visitor = await visitorContext.newPage();
  visitor.setDefaultTimeout(20000);
  await visitor.goto(`${hub}/widget/try`);
  const widget = visitor.frameLocator('iframe[title="Chat"]');
  await widget.locator('#launcher').click();
  const frame = () => visitor.frames().find((f) => f.url().includes('/widget/frame.html'));
  await visitor.waitForFunction(() => true);
  for (let i = 0; i < 100 && !(await frame()?.evaluate(() => !!localStorage.getItem('hotelhub.token'))); i += 1) await visitor.waitForTimeout(100);
  await widget.locator('.channels-btn').click();
  await widget.locator('.channels [data-channel="video"]').click();
  const webRing = agentPage.locator('#ringing .ring:not(:has-text("Lobby"))');
  await webRing.waitFor();
  await webRing.locator('button.answer').click();
  await widget.locator('.call-status:has-text("Andre Agent")').waitFor();
  const until = Date.now() + 20000;
  let seen = null;
  for (;;) {
    seen = await media(frame());
    if (seen?.video.frames > 0 && seen.audio.packets > 0) break;
    check(Date.now() < until, `the widget's guest sees and hears the agent: ${JSON.stringify(seen)}`);
    await visitor.waitForTimeout(500);
  }
  check(owner(seen.remote.port).includes(`pid=${hubPid},`), 'the widget call goes through the hub');
  await visitor.screenshot({ path: `${dir}/calls-widget.png` });
  // As a person would, once the call shows its running time: the hang-up button ignores a
  // tap in the first 800 ms, which is a double tap on the button it replaced.
  await agentPage.locator('#call .call-timer:not(:empty)').waitFor();
  await agentPage.click('#call .call-hangup');
  await widget.locator('.call-over:has-text("The call has ended")').waitFor();
  await visitorContext.close();

  // The missed call is among the missed conversations too.
  await ownerPage.goto(`${hub}/messenger/#missed`);
  await ownerPage.locator('#list .call-log.missed:has-text("Lobby")').waitFor();

  // The call log, in the messenger.
  await ownerPage.goto(`${hub}/messenger/#calls`);
  await ownerPage.locator('.call-log.missed:has-text("Lobby")').waitFor();
  await ownerPage.locator('.call-log.answered:has-text("Lobby"):has-text("Andre Agent")').waitFor();
  await ownerPage.screenshot({ path: `${dir}/calls-log.png` });
  // At a phone's size too, with nothing wider than the screen.
  await ownerPage.setViewportSize({ width: 390, height: 844 });
  const wide = await ownerPage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(wide <= 0, `the call log is ${wide}px wider than a phone`);
  await ownerPage.screenshot({ path: `${dir}/calls-log-phone.png` });
  console.log('calls ok');
} finally {
  await browser.close();
}
