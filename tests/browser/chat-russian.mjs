// A guest whose widget speaks Russian: through writing, a member joining, the end of the
// chat and the rating, no English word the hub produces reaches the widget (every visible
// text node is read). The owner's own texts are set in Russian by the test: owner texts per
// language are not built yet.
// Usage: node chat-russian.mjs HUB_URL WIDGET_KEY AGENT_EMAIL AGENT_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';

const [hub, key, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
// Names of people and of the hotel are not words to translate.
const NAMES = ['Seaview Guest House', 'Andre Agent', 'Andre'];

const host = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Отель</title><script src="${hub}/widget.js" data-key="${key}" data-state="open" async></script>`);
});
await new Promise((r) => host.listen(0, '127.0.0.1', r));
const site = `http://127.0.0.1:${host.address().port}`;
const browser = await launch();

/** Visible text in the widget frame with Latin words in it (names of people excepted). */
async function english(frame, except) {
  return frame.evaluate((names) => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[hidden]') || getComputedStyle(el).display === 'none' || !el.getClientRects().length) continue;
      let t = n.textContent;
      for (const name of names) t = t.split(name).join('');
      if (/[A-Za-z]{2,}/.test(t)) out.push(n.textContent.trim());
    }
    for (const input of document.querySelectorAll('textarea, input')) {
      if (input.getClientRects().length && /[A-Za-z]{2,}/.test(input.placeholder)) out.push(input.placeholder);
    }
    return out;
  }, except);
}

try {
  const guest = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ru-RU' })).newPage();
  guest.setDefaultTimeout(15000);
  await guest.goto(`${site}/`);
  const frameEl = guest.frameLocator('iframe[title="Chat"]');
  await frameEl.locator('.composer textarea').waitFor();
  const frame = guest.frames().find((f) => f.url().includes('/widget/frame.html'));
  await frameEl.locator('.composer textarea').fill('Здравствуйте! Есть ли парковка?');
  await frameEl.locator('.composer textarea').press('Enter');
  await frameEl.locator('.msg.mine:not(.pending)').waitFor();

  // A member joins, then ends the chat (through the API the Team Messenger uses).
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signIn(agent, hub, '/messenger/', email, password);
  await agent.waitForSelector('#connection.online');
  const act = (path) => agent.evaluate(async (p) => {
    const list = await (await fetch('/api/v1/chat/dialogues?view=unassigned')).json();
    const mine = await (await fetch('/api/v1/chat/dialogues?view=mine')).json();
    const id = (list.dialogues[0] || mine.dialogues[0]).id;
    const r = await fetch(`/api/v1/chat/dialogues/${id}/${p}`, { method: 'POST' });
    return r.status;
  }, path);
  check(await act('join') < 300, 'the agent joined');
  await frameEl.locator('.msg.system').first().waitFor();
  check(await act('end') < 300, 'the agent ended the chat');
  await frameEl.locator('.rating').waitFor({ state: 'visible' });
  await guest.screenshot({ path: `${dir}/russian-guest-rating.png` });
  const seen = await english(frame, NAMES);
  check(seen.length === 0, `English words reached a Russian guest: ${JSON.stringify(seen)}`);
  await frameEl.locator('.stars button[data-rating="5"]').click();
  await frameEl.locator('.rating-done').waitFor({ state: 'visible' });
  const after = await english(frame, NAMES);
  check(after.length === 0, `English words after rating: ${JSON.stringify(after)}`);
  console.log('russian flow ok');
} finally {
  await browser.close();
  host.close();
}
