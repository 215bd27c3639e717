// Presence is the open Team Messenger. An agent with it open is given a new guest's
// conversation (the guest is not told anyone "joined"); once the agent closes it, a new
// guest's conversation is not given to them but waits under Unassigned (the guest is told
// nothing of anyone joining); ended with no answer, it shows under Missed.
// Usage: node chat-presence.mjs HUB_URL WIDGET_KEY AGENT_EMAIL AGENT_PASSWORD OWNER_EMAIL
//        OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';

const [hub, key, email, password, ownerEmail, ownerPassword, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };

const host = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Seaview</title><h1>Seaview</h1>
    <script src="${hub}/widget.js" data-key="${key}" data-state="open" async></script>`);
});
await new Promise((r) => host.listen(0, '127.0.0.1', r));
const site = `http://127.0.0.1:${host.address().port}`;
const browser = await launch();

/** A new guest (a context of its own) writes `text`; returns the page and its frame. */
async function guestWrites(text) {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${site}/`);
  const frame = page.frameLocator('iframe[title="Chat"]');
  // A new guest is greeted, not met by an empty panel.
  await frame.locator('.greeting-text:has-text("How can we help?")').waitFor();
  await frame.locator('.composer textarea').fill(text);
  await frame.locator('.composer textarea').press('Enter');
  await frame.locator(`.msg.mine:not(.pending):has-text("${text}")`).waitFor();
  check(await frame.locator('.greeting').isVisible(), 'the greeting stays until someone answers');
  return { page, frame };
}

try {
  const agentContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const agent = await agentContext.newPage();
  agent.setDefaultTimeout(15000);
  await signIn(agent, hub, '/messenger/', email, password);
  await agent.waitForSelector('#connection.online');

  // With the messenger open, the new conversation is the agent's.
  const first = await guestWrites('Is breakfast included?');
  await agent.click('#views a[data-view="mine"]');
  await agent.waitForSelector('#list .item:has-text("breakfast")');
  await first.page.waitForTimeout(1000);
  const told = await first.frame.locator('.messages').innerText();
  check(!/joined/i.test(told), `the guest was told someone joined: ${told}`);
  await first.page.screenshot({ path: `${dir}/presence-guest-waits.png` });

  // The guest reloads, then moves to another page of the site: the conversation is there,
  // each message once.
  const once = async (where) => {
    await first.frame.locator('.msg.mine:has-text("breakfast")').first().waitFor();
    await first.page.waitForTimeout(500);
    const n = await first.frame.locator('.msg.mine:has-text("breakfast")').count();
    check(n === 1, `${where}: the guest's message shows ${n} times`);
  };
  await first.page.reload();
  await once('after a reload');
  await first.page.goto(`${site}/rooms/sea-view`);
  await once('on another page');
  await first.page.screenshot({ path: `${dir}/presence-guest-history.png` });
  // A refusal speaks to the guest in the widget's words, not the hub's technical English.
  await first.frame.locator('.composer textarea').evaluate((t) => { t.value = 'x'.repeat(17000); });
  await first.frame.locator('.composer textarea').press('Enter');
  await first.frame.locator('.status:has-text("This message is too long.")').waitFor();
  // The keyboard: the paperclip is reachable, Escape closes the chat.
  check(await first.frame.locator('.attach').getAttribute('tabindex') === '0', 'the paperclip takes the focus');
  await first.frame.locator('.composer textarea').press('Escape');
  await first.frame.locator('#panel').waitFor({ state: 'hidden' });

  // The agent closes the messenger; a new guest within the grace is not given to them.
  const api = await agentContext.newPage();
  await api.goto(`${hub}/healthz`);
  await agent.close();
  const late = await guestWrites('Can I check out late?');
  const lists = await api.evaluate(async () => {
    const get = async (view) => (await (await fetch(`/api/v1/chat/dialogues?view=${view}`)).json()).dialogues
      .map((d) => d.last_body || '');
    return { mine: await get('mine'), unassigned: await get('unassigned') };
  });
  check(lists.unassigned.some((m) => m.includes('check out late')),
    `the new conversation waits under Unassigned: ${JSON.stringify(lists)}`);
  check(!lists.mine.some((m) => m.includes('check out late')),
    `the agent whose messenger is closed was given it: ${JSON.stringify(lists)}`);

  // The owner sees it wait under Unassigned, then ends it unanswered: it moves to Missed.
  // The guest was never told anyone joined.
  const owner = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  owner.setDefaultTimeout(15000);
  await signIn(owner, hub, '/messenger/', ownerEmail, ownerPassword);
  await owner.waitForSelector('#connection.online');
  await owner.click('#views a[data-view="unassigned"]');
  await owner.waitForSelector('#list .item:has-text("check out late")');
  await owner.screenshot({ path: `${dir}/presence-unassigned.png` });
  const ended = await owner.evaluate(async () => {
    const list = (await (await fetch('/api/v1/chat/dialogues?view=unassigned')).json()).dialogues;
    const d = list.find((x) => (x.last_body || '').includes('check out late'));
    return (await fetch(`/api/v1/chat/dialogues/${d.id}/end`, { method: 'POST' })).status;
  });
  check(ended < 300, `the owner ended the waiting conversation: ${ended}`);
  await owner.click('#views a[data-view="missed"]');
  await owner.waitForSelector('#list .item:has-text("check out late") .state:text-is("Ended")');
  await owner.waitForFunction(() => document.querySelector('#views [data-view="unassigned"] .count').textContent === '');
  await owner.screenshot({ path: `${dir}/presence-missed.png` });
  const lateTold = await late.frame.locator('.messages').innerText();
  check(!/joined/i.test(lateTold), `the waiting guest was told someone joined: ${lateTold}`);
  console.log('presence flow ok');
} finally {
  await browser.close();
  host.close();
}
