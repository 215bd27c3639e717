// A guest and an agent in two Chromium contexts. A page on another origin embeds the
// widget; its JavaScript API is exercised; the guest writes; the agent (Team Messenger)
// sees the visitor card and the message, joins, replies with a `/` shortcut and a file;
// the guest sees both; the agent ends; the guest rates; History and Statistics show it.
// The owner changes the widget's colour in the admin app: the preview follows as they type
// and the guest's open widget follows on save.
// Usage: node chat-flow.mjs HUB_URL WIDGET_KEY AGENT_EMAIL AGENT_PASSWORD OWNER_EMAIL
//        OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';

const [hub, key, email, password, ownerEmail, ownerPassword, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };

// Guests reach the hub by a LAN name over plain HTTP, where the page is no secure context
// (no crypto.randomUUID, no service workers): hub.lan.test, resolved to the hub by the
// browser alone. Staff use the loopback address, a secure context.
const guestHub = hub.replace('127.0.0.1', 'hub.lan.test');

// The hotel's own website: another origin (another port) with the one script tag.
const host = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  if (req.url === '/forged') {
    // Another page frames the widget by hand, naming some other site as its host: it must
    // hear nothing from the frame (staff replies travel in its events) and command nothing.
    res.end(`<!doctype html><title>Not the hotel</title>
      <script>window.heard = []; addEventListener('message', (e) => window.heard.push(e.data));</script>
      <iframe id="w" src="${guestHub}/widget/frame.html#key=${key}&host=http://elsewhere.test"></iframe>`);
    return;
  }
  res.end(`<!doctype html><html><head><title>Seaview rooms</title>
    <style>iframe { display: none !important; } * { font-size: 40px !important; }</style></head>
    <body><h1>Our rooms</h1>
    <script>window.events = []; ['ready','opened','closed','message'].forEach(n =>
      window.addEventListener('hotelhub:' + n, () => window.events.push(n)));</script>
    <script src="${guestHub}/widget.js" data-key="${key}" data-tags="rooms-page" async></script>
    </body></html>`);
});
await new Promise((r) => host.listen(0, '127.0.0.1', r));
const site = `http://127.0.0.1:${host.address().port}`;

const browser = await launch(['--host-resolver-rules=MAP hub.lan.test 127.0.0.1']);

try {
  const guestContext = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const guest = await guestContext.newPage();
  guest.setDefaultTimeout(15000);
  guest.on('pageerror', (e) => console.error('guest page error:', e.message));
  await guest.goto(`${site}/rooms?utm_source=newsletter`);
  await guest.waitForFunction(() => window.events.includes('ready'));
  const frameEl = guest.locator('iframe[title="Chat"]');
  const frame = guest.frameLocator('iframe[title="Chat"]');
  // The host page hides every iframe and blows up fonts with !important rules: the widget
  // still shows, and its own text is untouched.
  await frameEl.waitFor({ state: 'visible' });
  await frame.locator('#launcher').waitFor({ state: 'visible' });
  const fontSize = await frame.locator('.composer textarea').evaluate((t) => getComputedStyle(t).fontSize);
  check(fontSize !== '40px', `the host page's CSS reached into the widget (${fontSize})`);

  // The widget API from the host page.
  await guest.evaluate(() => window.HotelHubChat.hideWidget());
  await guest.waitForFunction(() => document.querySelector('iframe[title="Chat"]').style.display === 'none');
  await guest.evaluate(() => window.HotelHubChat.showWidget());
  await guest.waitForFunction(() => document.querySelector('iframe[title="Chat"]').style.display === 'block');
  await guest.evaluate(() => window.HotelHubChat.openChannelsPanel());
  await frame.locator('.channels').waitFor({ state: 'visible' });
  await guest.evaluate(() => window.HotelHubChat.closeChat());
  await frame.locator('#panel').waitFor({ state: 'hidden' });
  await guest.evaluate(() => window.HotelHubChat.openChat());
  await frame.locator('#panel').waitFor({ state: 'visible' });
  await guest.waitForFunction(() => window.events.includes('opened') && window.events.includes('closed'));
  await frame.locator('.channels [data-channel="chat"]').click();
  check(await frameEl.count() === 1, 'one widget frame');

  const secure = await guest.frames().find((f) => f.url().includes('/widget/frame.html')).evaluate(() => isSecureContext);
  check(secure === false, 'the widget frame is reached as guests on the LAN reach it: no secure context');

  // The site knows the guest's name and tells the widget (setUser).
  await guest.evaluate(() => window.HotelHubChat.setUser({ id: 'x', name: 'Maria Silva', email: 'maria@example.org' }));
  // The guest writes.
  await frame.locator('.composer textarea').fill('Hello! Do you have a room with a sea view?');
  await frame.locator('.composer textarea').press('Enter');
  await frame.locator('.msg.mine:not(.pending):has-text("sea view")').waitFor();
  await guest.screenshot({ path: `${dir}/chat-guest-wrote.png` });

  // The owner restyles the widget: live preview while editing, live on guests after saving.
  const ownerContext = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const owner = await ownerContext.newPage();
  owner.setDefaultTimeout(15000);
  await signIn(owner, hub, '/admin/#chat', ownerEmail, ownerPassword);
  await owner.waitForSelector('#chat-form');
  const snippet = await owner.textContent('#widget-snippet');
  check(snippet.includes(key) && snippet.includes(`${hub}/widget.js`), `the snippet names the hub's address: ${snippet}`);
  await owner.click('#widget-snippet ~ button:has-text("Copy")');
  await owner.waitForSelector('.card [role=status]:has-text("Copied.")');
  await owner.fill('#c-color', '#aa3300');
  const headColour = (frameLocator) => frameLocator.locator('.panel-head').evaluate((h) => getComputedStyle(h).backgroundColor);
  await owner.waitForFunction(() => {
    const f = document.querySelector('#widget-preview');
    const head = f?.contentDocument?.querySelector('.panel-head');
    return head && getComputedStyle(head).backgroundColor === 'rgb(170, 51, 0)';
  });
  check(await headColour(frame) !== 'rgb(170, 51, 0)', 'the guest sees the new colour only after saving');
  await owner.click('#chat-form button[type=submit]');
  await owner.waitForSelector('#chat-saved:has-text("Saved")');
  await guest.waitForFunction(() => true);
  for (let i = 0; i < 50 && await headColour(frame) !== 'rgb(170, 51, 0)'; i += 1) await guest.waitForTimeout(100);
  check(await headColour(frame) === 'rgb(170, 51, 0)', 'the open widget took the new colour live');
  await owner.screenshot({ path: `${dir}/chat-admin-design.png` });
  await ownerContext.close();

  // The agent signs in to the Team Messenger and finds the guest under Unassigned.
  const agentContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const agent = await agentContext.newPage();
  agent.setDefaultTimeout(15000);
  agent.on('pageerror', (e) => console.error('messenger error:', e.message));
  agent.on('console', (m) => { if (m.type() === 'error') console.error('messenger console:', m.text()); });
  await signIn(agent, hub, '/messenger/', email, password);
  await agent.waitForSelector('#connection.online');
  await agent.click('#views a[data-view="unassigned"]');
  await agent.click('#list .item:has-text("sea view")');
  await agent.waitForSelector('.visitor-card h3:has-text("Maria Silva")');
  await agent.waitForSelector('.msgs .m:has-text("sea view")');
  const card = await agent.textContent('.visitor-card');
  check(card.includes('127.0.0.1'), `the card shows the address: ${card}`);
  check(card.includes('utm_source=newsletter'), `the card shows the UTM source: ${card}`);
  check(card.includes('Seaview rooms'), `the card shows the page: ${card}`);
  check(card.includes('Maria Silva'), `the card shows the name from setUser: ${card}`);
  check(await agent.inputValue('.visitor-form input[name=email]') === 'maria@example.org', 'the e-mail from setUser');

  // Join, then reply with a shortcut: "/wif" + Enter inserts it, Enter sends it. What the
  // agent had begun to write before joining survives the redraw that joining makes.
  await agent.fill('.composer textarea', 'A draft begun before joining');
  await agent.click('.conv-head button.join');
  await agent.waitForSelector('.msgs .m.system:has-text("joined")');
  await agent.waitForSelector('.composer textarea[placeholder^="Reply"]');
  const kept = await agent.inputValue('.composer textarea');
  check(kept === 'A draft begun before joining', `the draft survives joining: "${kept}"`);
  await agent.fill('.composer textarea', '');
  // The guest sees the agent typing, and stops seeing it within seconds of the agent
  // stopping (4 s without a key, then "stopped").
  await agent.type('.composer textarea', 'Let me check');
  await frame.locator('.typing:not([hidden])').waitFor();
  const stoppedAt = Date.now();
  await frame.locator('.typing').waitFor({ state: 'hidden', timeout: 8000 });
  check(Date.now() - stoppedAt < 7000, 'the typing line went away');
  await agent.fill('.composer textarea', '');
  await agent.fill('.composer textarea', '/wif');
  await agent.waitForSelector('.shortcuts li[data-code="wifi"]');
  await agent.press('.composer textarea', 'Enter');
  const inserted = await agent.inputValue('.composer textarea');
  check(inserted.includes('SeaviewGuests'), `the shortcut was inserted: ${inserted}`);
  await agent.press('.composer textarea', 'Enter');
  await agent.waitForSelector('.msgs .m.staff:has-text("SeaviewGuests")');
  // And a picture.
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082', 'hex');
  await agent.setInputFiles('.composer input[type=file]', { name: 'sea-view.png', mimeType: 'image/png', buffer: png });
  await agent.waitForSelector('.msgs .m.staff img[alt="sea-view.png"]');
  await agent.screenshot({ path: `${dir}/chat-agent.png` });

  // The guest sees both.
  await frame.locator('.msg.theirs:has-text("SeaviewGuests")').waitFor();
  await frame.locator('.msg.theirs img[alt="sea-view.png"]').waitFor();
  await guest.waitForFunction(() => {
    const img = document.querySelector('iframe[title="Chat"]');
    return window.events.includes('message') && img;
  });
  const loaded = await frame.locator('.msg.theirs img[alt="sea-view.png"]').evaluate((i) => i.complete && i.naturalWidth > 0);
  check(loaded, 'the guest can load the picture');

  // The agent ends the chat; the guest rates it.
  await agent.click('.conv-head button:has-text("End")');
  await frame.locator('.rating').waitFor({ state: 'visible' });
  await frame.locator('.stars button[data-rating="5"]').click();
  await frame.locator('.rating-done').waitFor({ state: 'visible' });
  await guest.screenshot({ path: `${dir}/chat-guest-rated.png` });

  // History (last week by default) and Statistics show it.
  await agent.click('#views a[data-view="history"]');
  await agent.waitForSelector('#list .item:has-text("★5")');
  const totals = await agent.textContent('#list .totals:has-text("conversation")');
  check(totals.includes('1 conversation ') && totals.includes('★ 5.0'), `history totals: ${totals}`);
  await agent.click('#views a[data-view="statistics"]');
  await agent.waitForSelector('.stats .totals-table');
  const stats = await agent.textContent('.stats .totals-table');
  check(stats.includes('5.0') && /All\s*1/.test(stats.replace(/\s+/g, ' ')), `statistics: ${stats}`);
  await agent.screenshot({ path: `${dir}/chat-statistics.png` });

  // The frame talks only to the origin its loader named.
  const forged = await guestContext.newPage();
  await forged.goto(`${site}/forged`);
  const forgedFrame = forged.frameLocator('#w');
  await forgedFrame.locator('#launcher').waitFor({ state: 'attached' });
  await forged.waitForTimeout(1500);
  await forged.evaluate(() => document.querySelector('#w').contentWindow.postMessage({ hotelhub: 'open' }, '*'));
  await forged.waitForTimeout(500);
  const heard = await forged.evaluate(() => window.heard.filter((d) => d && d.hotelhub));
  check(heard.length === 0, `a page that is not the named host heard the frame: ${JSON.stringify(heard)}`);
  check(await forgedFrame.locator('#panel').isHidden(), 'a page that is not the named host opened the chat');
  console.log('chat flow ok');
} finally {
  await browser.close();
  host.close();
}
