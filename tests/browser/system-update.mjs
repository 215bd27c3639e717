// The owner updates the box from the admin app's System section (APP-7), on a phone and at
// desk size: a bundle signed with another key is refused with the reason, the good one is
// uploaded with progress, installed into the other slot, and the restart is asked for.
// Usage: node system-update.mjs HUB_URL OWNER_EMAIL OWNER_PASSWORD FOREIGN_BUNDLE GOOD_BUNDLE SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, email, password, foreign, good, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const browser = await launch();

/** Nothing on the page is wider than the window. */
async function fits(page, what) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (over > 1) throw new Error(`${what} scrolls sideways by ${over}px`);
}

try {
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  phone.setDefaultTimeout(30000);
  phone.on('pageerror', (e) => console.error('page error:', e.message));
  await signIn(phone, hub, '/admin/#system', email, password);
  await phone.waitForSelector('#system-update');
  await phone.waitForSelector('#system-version tr[data-slot="A"] .badge.online');
  await fits(phone, 'the System section on a phone');
  await phone.screenshot({ path: `${dir}/system-phone.png`, fullPage: true });

  // Refused, with RAUC's reason, in words on the page.
  await phone.setInputFiles('#update-file', foreign);
  await phone.click('#update-upload');
  await phone.waitForSelector('#update-phase.error:has-text("signature verification failed")');
  await phone.waitForSelector('#system-history li[data-kind="refused"]');
  await fits(phone, 'a refusal on a phone');
  await phone.screenshot({ path: `${dir}/system-refused-phone.png`, fullPage: true });

  // The good one: installed into B, the next start uses it; the restart is offered.
  const desk = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  desk.setDefaultTimeout(30000);
  await signIn(desk, hub, '/admin/#system', email, password);
  await desk.setInputFiles('#update-file', good);
  await desk.click('#update-upload');
  await desk.waitForSelector('#update-phase:has-text("is installed in slot B")');
  await desk.waitForSelector('#system-version .notice:has-text("The next start uses slot B")');
  await desk.waitForSelector('#system-history li[data-kind="installed"]');
  await fits(desk, 'the System section at desk size');
  await desk.screenshot({ path: `${dir}/system-installed-desk.png`, fullPage: true });
  desk.on('dialog', (d) => d.accept());
  await desk.click('#update-reboot');
  await desk.waitForSelector('#update-phase:has-text("Restarting")');
  console.log('system update ok');
} finally {
  await browser.close();
}
