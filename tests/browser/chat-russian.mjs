// The owner writes the chat's Russian texts in the admin app beside the English ones; a
// guest whose browser speaks Russian then reads no English word (every visible text node is
// read) through consent, the bot's greeting and keyword answer, a hand-off, a member
// joining, the end of the chat and the rating.
// Usage: node chat-russian.mjs HUB_URL WIDGET_KEY AGENT_EMAIL AGENT_PASSWORD OWNER_EMAIL
//        OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';

const [hub, key, email, password, ownerEmail, ownerPassword, shots] = process.argv.slice(2);
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
  // The owner's Russian texts, written in the chat settings' "In other languages" block.
  const owner = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  owner.setDefaultTimeout(15000);
  await signIn(owner, hub, '/admin/#chat', ownerEmail, ownerPassword);
  await owner.waitForSelector('#chat-translations fieldset[lang="ru"]');
  check(await owner.getAttribute('#t-ru-consent', 'placeholder') === 'We keep this conversation for a year.',
    'each translation shows the English text it translates');
  await owner.fill('#t-ru-title', 'Напишите нам');
  await owner.fill('#t-ru-welcome', 'Здравствуйте! Чем можем помочь?');
  await owner.fill('#t-ru-consent', 'Мы храним эту переписку один год.');
  await owner.fill('#t-ru-bot', 'Добро пожаловать в «Морской вид»!');
  await owner.fill('#t-ru-kw0', 'Парковка бесплатная, за домом.');
  await owner.locator('#chat-translations').scrollIntoViewIfNeeded();
  await owner.screenshot({ path: `${dir}/russian-owner-translations.png` });
  await owner.click('#chat-form button[type=submit]');
  await owner.waitForFunction(() => document.querySelector('#chat-saved')?.textContent.startsWith('Saved'));

  const guest = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ru-RU' })).newPage();
  guest.setDefaultTimeout(15000);
  await guest.goto(`${site}/`);
  const frameEl = guest.frameLocator('iframe[title="Chat"]');
  await frameEl.locator('.composer textarea').waitFor();
  const frame = guest.frames().find((f) => f.url().includes('/widget/frame.html'));
  check(await frameEl.locator('.title').first().textContent() === 'Напишите нам', 'the Russian title');
  await frameEl.locator('.composer textarea').fill('Здравствуйте! Есть ли парковка?');
  await frameEl.locator('.composer textarea').press('Enter');
  await frameEl.locator('.consent:not([hidden])').waitFor();
  check((await frameEl.locator('.consent-text').textContent()) === 'Мы храним эту переписку один год.', 'the Russian consent');
  await guest.screenshot({ path: `${dir}/russian-guest-consent.png` });
  const atConsent = await english(frame, NAMES);
  check(atConsent.length === 0, `English words at consent: ${JSON.stringify(atConsent)}`);
  await frameEl.locator('.consent-accept').click();
  await frameEl.locator('.msg.mine:not(.pending)').waitFor();
  await frameEl.locator('.msg.theirs', { hasText: 'Парковка бесплатная' }).waitFor();
  await frameEl.locator('.msg.theirs', { hasText: 'Добро пожаловать' }).waitFor();
  await frameEl.locator('.composer textarea').fill('Нужен оператор, пожалуйста');
  await frameEl.locator('.composer textarea').press('Enter');
  await frameEl.locator('.msg.theirs', { hasText: 'Передаю вас сотруднику' }).waitFor();
  await guest.screenshot({ path: `${dir}/russian-guest-bot.png` });
  const atBot = await english(frame, NAMES);
  check(atBot.length === 0, `English words from the bot: ${JSON.stringify(atBot)}`);

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
