// A guest opens a room's page (the Online Reception) on a phone (390×844), a tablet
// (820×1180) and a desktop (1366×800), in Russian and in English, in Debian's chromium:
// the local time ticks from the hub's page, the weather, sun, places and Wi-Fi code are
// there, the chat's button is on the page, nothing is wider than the window, and the hub's
// Content-Security-Policy blocks nothing. Leaves guest-<size>-<language>.png to look at.
// A guest writes from the page, and the receptionist's visitor card names the unit and
// the stay under way. A guest asks for the weather where they are (guest-weather-here.png).
// Usage: node guest-page.mjs HUB_URL PAGE_PATH AGENT_EMAIL AGENT_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, path, agentEmail, agentPassword, shots] = process.argv.slice(2);
if (!hub || !path || !agentEmail || !agentPassword) {
  console.error('usage: guest-page.mjs HUB_URL PAGE_PATH AGENT_EMAIL AGENT_PASSWORD [SCREENSHOT_DIR]');
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
  // GUEST-8: a guest writes from the page; the receptionist's visitor card names the unit
  // and the stay under way there.
  {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB' });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(hub + path);
    const frame = page.frameLocator('iframe[title="Chat"]');
    await frame.locator('#launcher').click();
    const channel = frame.locator('.channels [data-channel="chat"]');
    if (await channel.isVisible().catch(() => false)) await channel.click();
    await frame.locator('.composer textarea').fill('The air conditioning in my room is noisy');
    await frame.locator('.composer textarea').press('Enter');
    await frame.locator('.msg.mine:not(.pending):has-text("noisy")').waitFor();
    const agent = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    agent.setDefaultTimeout(15000);
    await signIn(agent, hub, '/messenger/', agentEmail, agentPassword);
    await agent.waitForSelector('#connection.online');
    await agent.click('#views a[data-view="unassigned"]');
    // The list says where the guest wrote from before the conversation is opened.
    await agent.locator('#list .item:has-text("noisy") .place:has-text("Room 102")').waitFor();
    await agent.click('#list .item:has-text("noisy")');
    const unit = await agent.waitForSelector('.visitor-card .unit-now:has-text("Maria")');
    const text = await unit.textContent();
    if (!text.startsWith('102 · Maria Papadopoulou')) throw new Error(`the visitor card's unit: ${text}`);
    await agent.screenshot({ path: `${dir}/guest-page-visitor-card.png` });
    await context.close();
    await agent.context().close();
  }

  // The switch offers the hotel's languages: a Russian phone picks Portuguese.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'ru-RU' });
  const page = await context.newPage();
  await page.goto(hub + path);
  await page.locator('details.lang summary').click();
  const offered = await page.locator('details.lang a').evaluateAll((a) => a.map((x) => x.getAttribute('hreflang')));
  if (offered.join(',') !== 'en,ru,pt') throw new Error(`the switch offers ${offered}`);
  await page.locator('details.lang a[hreflang="pt"]').click();
  await page.getByText('Hora local').first().waitFor({ timeout: 10000 });
  await context.close();

  // A car's guest shares the phone's position (the page on loopback is a secure one, as
  // over HTTPS): the weather block becomes the weather where they are, in their language.
  const roaming = await browser.newContext({
    viewport: { width: 390, height: 844 }, locale: 'ru-RU', isMobile: true, hasTouch: true,
    geolocation: { latitude: 38.7223, longitude: -9.1393 }, permissions: ['geolocation'],
  });
  const car = await roaming.newPage();
  await car.goto(hub + path);
  await car.locator('#weather-here').click();
  await car.locator('section.weather h2:has-text("Погода там, где вы")').waitFor({ timeout: 10000 });
  const here = await car.locator('section.weather .big').textContent();
  if (!here.includes('11°')) throw new Error(`the weather where the guest is: ${here}`);
  await car.locator('section.weather').screenshot({ path: `${dir}/guest-weather-here.png` });
  await roaming.close();
} finally {
  await browser.close();
}
console.log('guest page ok');
