// The cloud relay in Chromium: the hotel's public website (another origin) embeds the chat
// from the hub's address on the relay; a guest on a phone writes; an agent on the hotel's
// LAN answers in the Team Messenger; the guest sees it. The owner, away from the hotel,
// opens the admin app and the Team Messenger through the relay with the hub's own sign-in.
// Usage: node relay-chat.mjs PUBLIC_URL WIDGET_KEY LAN_URL AGENT_EMAIL AGENT_PASSWORD
//        OWNER_EMAIL OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';

const [outside, key, lan, email, password, ownerEmail, ownerPassword, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };

// The hotel's website, somewhere on the internet: here another port, with the one tag.
const host = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><head><title>Seaview Guest House</title>
    <meta name="viewport" content="width=device-width, initial-scale=1"></head>
    <body><h1>Seaview Guest House</h1><p>Rooms by the sea in Lisbon.</p>
    <script>window.events = []; ['ready','message'].forEach(n =>
      window.addEventListener('hotelhub:' + n, () => window.events.push(n)));</script>
    <script src="${outside}/widget.js" data-key="${key}" async></script></body></html>`);
});
await new Promise((r) => host.listen(0, '127.0.0.1', r));
const site = `http://127.0.0.1:${host.address().port}`;

const browser = await launch();
try {
  const guestContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const guest = await guestContext.newPage();
  guest.setDefaultTimeout(20000);
  guest.on('pageerror', (e) => console.error('guest page error:', e.message));
  await guest.goto(site);
  await guest.waitForFunction(() => window.events.includes('ready'));
  const frame = guest.frameLocator('iframe[title="Chat"]');
  const frameUrl = guest.frames().find((f) => f.url().includes('/widget/frame.html')).url();
  check(frameUrl.startsWith(outside), `the chat frame comes from the relay: ${frameUrl}`);
  await frame.locator('#launcher').click();
  const question = 'Hello from the airport! Can I check in at 11?';
  await frame.locator('.composer textarea').fill(question);
  await frame.locator('.composer textarea').press('Enter');
  await frame.locator('.msg.mine:not(.pending):has-text("check in at 11")').waitFor();
  await guest.screenshot({ path: `${dir}/relay-guest-wrote.png` });

  // An agent at the hotel, on its LAN.
  const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const agent = await agentContext.newPage();
  agent.setDefaultTimeout(20000);
  await signIn(agent, lan, '/messenger/', email, password);
  await agent.waitForSelector('#connection.online');
  await agent.click('#views a[data-view="unassigned"]');
  await agent.click('#list .item:has-text("check in at 11")');
  await agent.click('.conv-head button.join');
  await agent.waitForSelector('.composer textarea[placeholder^="Reply"]');
  const answer = 'Of course: your room is ready from 11:00.';
  await agent.fill('.composer textarea', answer);
  await agent.press('.composer textarea', 'Enter');
  await agent.waitForSelector(`.msgs .m.staff:has-text("${answer}")`);
  await agent.screenshot({ path: `${dir}/relay-agent-lan.png` });

  // The guest outside sees it.
  await frame.locator(`.msg.theirs:has-text("${answer}")`).waitFor();
  await guest.waitForFunction(() => window.events.includes('message'));
  await guest.screenshot({ path: `${dir}/relay-guest-answered.png` });
  // The guest reloads the hotel's page: the conversation is still theirs.
  await guest.reload();
  await guest.waitForFunction(() => window.events.includes('ready'));
  await frame.locator('#launcher').click();
  await frame.locator(`.msg.theirs:has-text("${answer}")`).waitFor();
  await frame.locator('.msg.mine:has-text("check in at 11")').waitFor();
  await guest.screenshot({ path: `${dir}/relay-guest-reloaded.png` });

  // The owner, away: the admin app through the relay, at phone size.
  const ownerContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const owner = await ownerContext.newPage();
  owner.setDefaultTimeout(20000);
  owner.on('pageerror', (e) => console.error('owner page error:', e.message));
  await signIn(owner, outside, '/admin/#cloud', ownerEmail, ownerPassword);
  await owner.waitForSelector('#cloud-state:has-text("Online")');
  check((await owner.textContent('#cloud-public')).trim() === outside, 'the admin app shows the public address');
  check((await owner.textContent('#cloud-snippet')).includes(`${outside}/widget.js`), 'the tag for the public website uses the relay');
  const wide = await owner.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  check(!wide, 'the cloud page fits a phone');
  await owner.screenshot({ path: `${dir}/relay-owner-admin-phone.png`, fullPage: true });
  // …and the Team Messenger through the relay: its socket is carried too.
  await owner.goto(`${outside}/messenger/`);
  await owner.waitForSelector('#connection.online');
  await owner.screenshot({ path: `${dir}/relay-owner-messenger-phone.png` });
  console.log('relay chat ok');
} finally {
  await browser.close();
  host.close();
}
