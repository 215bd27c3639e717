// An owner away from the hotel, on a phone: signs in on the relay, adds the property with the
// code the hub's admin app shows, sees it online on the dashboard, shares it with a manager,
// and opens its admin app through the relay with the hub's own sign-in.
// Usage: node relay-owner.mjs RELAY_URL EMAIL RELAY_PASSWORD HUB_LAN_URL HUB_PASSWORD
//        HUB_PUBLIC_URL SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [relay, email, relayPassword, lan, hubPassword, hubPublic, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
const fits = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

const browser = await launch();
try {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const owner = await phone.newPage();
  owner.setDefaultTimeout(20000);
  owner.on('pageerror', (e) => console.error('relay page error:', e.message));
  await owner.goto(`${relay}/`);
  await owner.fill('#email', email);
  await owner.fill('#password', 'not the password');
  await owner.click('#signin button[type=submit]');
  await owner.waitForSelector('#signin .error:has-text("wrong")');
  await owner.fill('#password', relayPassword);
  await owner.click('#signin button[type=submit]');
  await owner.waitForSelector('#hubs:has-text("No property yet")');
  check(await fits(owner), 'the empty dashboard fits a phone');
  await owner.screenshot({ path: `${dir}/relay-dashboard-empty-phone.png`, fullPage: true });

  // At the hotel (or on its LAN), the hub's admin app makes the code.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const admin = await desk.newPage();
  admin.setDefaultTimeout(20000);
  await signIn(admin, lan, '/admin/#cloud', email, hubPassword);
  await admin.click('#claim-code');
  const code = (await admin.textContent('#claim-code-value')).trim();
  check(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/.test(code), `a readable code: ${code}`);
  await admin.screenshot({ path: `${dir}/relay-hub-claim-code.png` });

  await owner.fill('#code', code.toLowerCase().replace('-', ' '));
  await owner.click('#claim button[type=submit]');
  const card = owner.locator('#hubs .hub');
  await card.locator('.badge.online').waitFor();
  check((await card.textContent()).includes('Seaview Guest House'), 'the property is named');
  await card.locator('.facts li:has-text("devices")').waitFor();
  check(await fits(owner), 'the dashboard fits a phone');
  // The owner shares the property with the manager.
  await card.locator('.share input').fill('manager@seaview.example');
  await card.locator('.share button').click();
  await card.locator('.share .notice:has-text("Invitation sent")').waitFor();
  await owner.screenshot({ path: `${dir}/relay-dashboard-phone.png`, fullPage: true });
  // Back at the hotel, the admin app says whose account holds the property now.
  await admin.reload();
  await admin.locator('#cloud-access strong').first().waitFor();
  check((await admin.textContent('#cloud-access')).includes('(owner)'), 'the hub names its owner on the relay');
  await admin.screenshot({ path: `${dir}/relay-hub-cloud-claimed.png` });

  // Its admin app opens through the relay, behind the hub's own sign-in.
  const [opened] = await Promise.all([phone.waitForEvent('page'), card.locator('a:has-text("Admin app")').click()]);
  opened.setDefaultTimeout(20000);
  await opened.waitForSelector('#signin-email');
  check(opened.url().startsWith(`${hubPublic}/admin/`), `the admin app through the relay: ${opened.url()}`);
  await opened.fill('#signin-email', email);
  await opened.fill('#signin-password', hubPassword);
  await opened.click('#signin-form button[type=submit]');
  await opened.waitForSelector('#whoami:has-text("owner")');
  await opened.screenshot({ path: `${dir}/relay-hub-admin-through-relay-phone.png` });

  await owner.click('#signout');
  await owner.waitForSelector('#signin');
  console.log('relay owner ok');
} finally {
  await browser.close();
}
