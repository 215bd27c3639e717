// A guest opens a room's page (the Online Reception) on a phone (390×844), a tablet
// (820×1180) and a desktop (1366×800), in Russian and in English, in Debian's chromium:
// the local time ticks from the hub's page, the weather, sun, places and Wi-Fi code are
// there, the chat's button is on the page, nothing is wider than the window, and the hub's
// Content-Security-Policy blocks nothing. Leaves guest-<size>-<language>.png to look at.
// Usage: node guest-page.mjs HUB_URL PAGE_PATH SCREENSHOT_DIR
import { launch } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, path, shots] = process.argv.slice(2);
if (!hub || !path) {
  console.error('usage: guest-page.mjs HUB_URL PAGE_PATH [SCREENSHOT_DIR]');
  process.exit(2);
}
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 820, height: 1180 },
  { name: 'desktop', width: 1366, height: 800 },
];
const LANGUAGES = [
  { locale: 'ru-RU', time: 'Местное время', places: 'Места поблизости' },
  { locale: 'en-GB', time: 'Local time', places: 'Places nearby' },
];

const browser = await launch();
try {
  for (const size of SIZES) {
    for (const lang of LANGUAGES) {
      const context = await browser.newContext({
        viewport: { width: size.width, height: size.height },
        locale: lang.locale,
        isMobile: size.name === 'phone',
        hasTouch: size.name !== 'desktop',
      });
      const page = await context.newPage();
      const response = await page.goto(hub + path);
      if (response.status() !== 200) throw new Error(`${path}: ${response.status()}`);
      await page.getByText(lang.time).first().waitFor({ timeout: 10000 });
      await page.getByText(lang.places).first().waitFor({ timeout: 10000 });
      const clock = await page.locator('[data-clock]').first().textContent();
      if (!/^\d\d:\d\d$/.test(clock.trim())) throw new Error(`the clock reads ${clock}`);
      if (!(await page.locator('section.information svg').count())) throw new Error('no Wi-Fi code');
      // The widget's frame: the chat button a guest taps.
      await page.locator('iframe[title="Chat"]').waitFor({ state: 'visible', timeout: 10000 });
      const wide = await page.evaluate(() => {
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (r.width && r.right > window.innerWidth + 1 && !el.closest('.hours,.days,details.lang nav')) {
            out.push(`${el.tagName.toLowerCase()}.${el.className}: ${Math.round(r.right)}`);
          }
        }
        return { scroll: document.documentElement.scrollWidth, inner: window.innerWidth, out };
      });
      if (wide.scroll > wide.inner || wide.out.length) {
        throw new Error(`${size.name} ${lang.locale}: wider than the window: ${JSON.stringify(wide)}`);
      }
      await page.screenshot({ path: `${dir}/guest-${size.name}-${lang.locale}.png`, fullPage: true });
      await context.close();
    }
  }
  // The switch: a Russian phone picks German.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ru-RU' });
  const page = await context.newPage();
  await page.goto(hub + path);
  await page.locator('details.lang summary').click();
  await page.locator('details.lang a[hreflang="de"]').click();
  await page.getByText('Ortszeit').first().waitFor({ timeout: 10000 });
  await context.close();
} finally {
  await browser.close();
}
console.log('guest page ok');
