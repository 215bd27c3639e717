// The lobby kiosk (DESK-1, 2, 4): the owner makes a pairing code in the admin app, a
// tablet types it at /kiosk/ and shows the idle screen (clock, weather, the Wi-Fi's and
// the hotel guide's codes) in landscape, portrait and on a phone-sized screen with nothing
// wider than the window; its language switch works; a guest writes to reception from it.
// Leaves kiosk-pairing.png, kiosk-<size>.png, kiosk-chat.png.
// Usage: node kiosk.mjs HUB_URL OWNER_EMAIL OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
const browser = await launch();
const wider = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

try {
  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  admin.setDefaultTimeout(15000);
  await signIn(admin, hub, '/admin/', email, password);
  await admin.waitForSelector('#signin-form', { state: 'hidden' });
  await admin.goto(`${hub}/admin/#front-desk`);
  await admin.fill('#kiosk-name', 'Lobby');
  await admin.click('#kiosk-pairing button[type=submit]');
  const code = (await admin.locator('.pairing-code').textContent()).trim();
  check(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(code), `a code to type: ${code}`);
  await admin.screenshot({ path: `${dir}/kiosk-pairing.png` });
  check(!(await admin.locator('#front-desk').textContent()).includes('null'), 'no card shows as "null"');

  // Reduced motion: the breathing button holds still for the clicks.
  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true, locale: 'en-GB', reducedMotion: 'reduce' });
  const kiosk = await tablet.newPage();
  kiosk.setDefaultTimeout(15000);
  await kiosk.goto(`${hub}/kiosk/`);
  await kiosk.fill('#pair-code', code.toLowerCase());
  await kiosk.click('.pairing button[type=submit]');
  await kiosk.waitForSelector('#clock');
  check(/^\d\d:\d\d$/.test(await kiosk.locator('#clock').textContent()), 'the clock shows HH:MM');
  await kiosk.locator('#wifi svg').waitFor();
  await kiosk.locator('#guide svg').waitFor();
  await kiosk.locator('.weather .now').waitFor();
  check((await kiosk.locator('#wifi').textContent()).includes('Seaview Guests'), 'the network is named');

  for (const [name, width, height] of [['landscape', 1280, 800], ['portrait', 800, 1280], ['ipad', 768, 1024], ['phone', 390, 844]]) {
    await kiosk.setViewportSize({ width, height });
    await kiosk.waitForTimeout(200);
    const wide = await wider(kiosk);
    check(wide <= 0, `${name}: the kiosk is ${wide}px wider than the screen`);
    if (name !== 'phone') {
      // A tablet's whole screen shows at once: the button to reception is not scrolled away.
      const bottom = await kiosk.evaluate(() => document.getElementById('write').getBoundingClientRect().bottom);
      check(bottom <= height, `${name}: the button ends at ${bottom}px of ${height}`);
    }
    await kiosk.screenshot({ path: `${dir}/kiosk-${name}.png`, fullPage: true });
  }
  await kiosk.setViewportSize({ width: 1280, height: 800 });

  // A Russian guest switches the language.
  await kiosk.click('.langs button[lang="ru"]');
  await kiosk.locator('#write:has-text("Написать на ресепшен")').waitFor();
  await kiosk.click('.langs button[lang="en"]');

  // Paired: the page opened again is the idle screen, not the pairing form.
  await kiosk.reload();
  await kiosk.waitForSelector('#clock');

  // A guest writes to reception from the kiosk.
  await kiosk.click('#write');
  const frame = kiosk.frameLocator('iframe[title="Chat"]');
  await frame.locator('.composer textarea').fill('Hello from the lobby tablet');
  await frame.locator('.composer textarea').press('Enter');
  await frame.locator('.msg.mine:not(.pending):has-text("Hello from the lobby tablet")').waitFor();
  check(!(await frame.locator('.attach').isVisible()), 'no file button on a public tablet');
  await kiosk.screenshot({ path: `${dir}/kiosk-chat.png` });
  // Done: the next guest finds no chat, and a new chat is a new conversation.
  await kiosk.click('#done');
  await kiosk.waitForFunction(() => !document.querySelector('iframe[src*="/widget/frame.html"]') && !localStorage.length);
  await kiosk.click('#write');
  await frame.locator('.composer textarea').waitFor();
  check(await frame.locator('.msg.mine').count() === 0, 'the next guest sees nothing of the last one');
  await tablet.close();
  console.log('kiosk ok');
} finally {
  await browser.close();
}
