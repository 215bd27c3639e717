// The hotel's hub is offline: its website still shows the chat button (served by the relay),
// and a tap tells the guest, in their language, that the hotel is not reachable for now.
// Usage: node relay-offline.mjs PUBLIC_URL SCREENSHOT_DIR
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { launch } from './launch.mjs';

const [outside, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };

const site = createServer((req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Seaview</title></head><body><h1>Seaview Guest House</h1>
    <script src="${outside}/widget.js" data-key="k" async></script></body></html>`);
});
await new Promise((r) => site.listen(0, '127.0.0.1', r));
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'ru-RU' });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`http://127.0.0.1:${site.address().port}/`);
  const button = page.locator('button[aria-label="Отель сейчас недоступен"]');
  await button.click();
  await page.locator('[role=status]:has-text("Попробуйте, пожалуйста, через несколько минут")').waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  check(!wide, 'the note fits the phone');
  await page.screenshot({ path: `${dir}/relay-hub-offline-phone.png` });
  console.log('relay offline ok');
} finally {
  await browser.close();
  site.close();
}
