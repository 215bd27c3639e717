// Out of hours, in Chromium: a page message slides out on the hotel's page, the widget
// shows the out-of-hours text and a contact form instead of the chat; the form becomes a
// Lead that the agent sees in the Team Messenger. The widget speaks Portuguese, and so do the
// owner's page message and out-of-hours text (their Portuguese translations). A second
// lead carries field case chat-14 (HTML and script in the name and message): shown as
// text, never run.
// Usage: node chat-offline.mjs HUB_URL WIDGET_KEY AGENT_EMAIL AGENT_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';

const [hub, key, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };

const host = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Seaview rooms</title><h1>Rooms</h1>
    <script src="${hub}/widget.js" data-key="${key}" async></script>`);
});
await new Promise((r) => host.listen(0, '127.0.0.1', r));
const site = `http://127.0.0.1:${host.address().port}`;
const browser = await launch();

try {
  const guest = await (await browser.newContext()).newPage();
  guest.setDefaultTimeout(15000);
  guest.on('pageerror', (e) => console.error('guest page error:', e.message));
  await guest.goto(`${site}/rooms/sea-view`);
  const frame = guest.frameLocator('iframe[title="Chat"]');
  // The page message for /rooms slides out by itself after its delay.
  await frame.locator('.welcome-text:has-text("Precisa de ajuda para escolher um quarto?")').waitFor({ state: 'visible' });
  await frame.locator('.welcome').click();
  await frame.locator('.offline-text:has-text("A receção abre às 8")').waitFor({ state: 'visible' });
  check(await frame.locator('.composer').isHidden(), 'no chat composer out of hours');
  // The widget speaks the language set for it (Portuguese here).
  const placeholder = await frame.locator('.lead-form input[name=name]').getAttribute('placeholder');
  check(placeholder === 'O seu nome', `the widget's words follow its language: ${placeholder}`);
  await frame.locator('.lead-form input[name=name]').fill('Maria Silva');
  await frame.locator('.lead-form input[name=email]').fill('maria@example.org');
  await frame.locator('.lead-form textarea[name=message]').fill('A room for two nights in May, please.');
  await frame.locator('.lead-form button[type=submit]').click();
  await frame.locator('.lead-done').waitFor({ state: 'visible' });
  await guest.screenshot({ path: `${dir}/chat-offline-form.png` });
  // Back on the page later: the message left is in sight, in the guest's language, and
  // another can be written.
  await guest.reload();
  await frame.locator('#launcher').click();
  await frame.locator('.lead-sent-text:has-text("Recebemos a sua mensagem")').waitFor({ state: 'visible' });
  await frame.locator('.lead-sent-body:has-text("two nights in May")').waitFor({ state: 'visible' });
  check(await frame.locator('.lead-form').isHidden(), 'the form waits behind "write another"');
  await guest.screenshot({ path: `${dir}/chat-offline-lead-kept.png` });
  await frame.locator('.lead-another').click();
  await frame.locator('.lead-form input[name=name]').waitFor({ state: 'visible' });

  const agent = await (await browser.newContext()).newPage();
  agent.setDefaultTimeout(15000);
  await signIn(agent, hub, '/messenger/', email, password);
  await agent.waitForSelector('#connection.online');
  await agent.click('#views a[data-view="leads"]');
  await agent.waitForSelector('#list .lead:has-text("two nights in May")');
  const lead = await agent.textContent('#list .lead');
  check(lead.includes('maria@example.org'), `the lead: ${lead}`);

  // Field case chat-14: a name and a message carrying HTML and script are shown as the
  // literal text they are, and nothing of them runs, on either side.
  const markup = JSON.parse(readFileSync(new URL('../field-cases/chat-14-markup-in-name-and-message.json', import.meta.url), 'utf8'));
  const dialogs = [];
  // Another guest, in a browser of their own.
  const other = await (await browser.newContext()).newPage();
  other.setDefaultTimeout(15000);
  for (const page of [other, agent]) page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await other.goto(`${site}/contact`);
  const form = other.frameLocator('iframe[title="Chat"]');
  await form.locator('#launcher').click();
  await form.locator('.lead-form input[name=name]').fill(markup.name);
  await form.locator('.lead-form input[name=email]').fill(markup.email);
  await form.locator('.lead-form textarea[name=message]').fill(markup.message);
  await form.locator('.lead-form button[type=submit]').click();
  await form.locator('.lead-done').waitFor({ state: 'visible' });
  await agent.reload();
  await agent.waitForSelector('#connection.online');
  await agent.click('#views a[data-view="leads"]');
  await agent.waitForSelector('#list .lead:has-text("bold?")');
  const shown = await agent.locator('#list .lead:has-text("bold?")').textContent();
  check(shown.includes(markup.name), `the name as text: ${shown}`);
  check(shown.includes('<img src=x onerror=alert(document.cookie)><b>bold?</b>'), `the message as text: ${shown}`);
  check(await agent.locator('#list img[src="x"], #list .lead b').count() === 0, 'no markup made into elements');
  await agent.waitForTimeout(500);
  check(dialogs.length === 0, `nothing ran: ${dialogs.join(', ')}`);
  await agent.screenshot({ path: `${dir}/chat-offline-markup-lead.png` });
  console.log('offline flow ok');
} finally {
  await browser.close();
  host.close();
}
