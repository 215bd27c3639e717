// Walks the admin app as people would, in Debian's chromium:
// set-up with the code → sign in as owner → invite a member → open the invite link in a
// second browser context → set a password → sign in as the agent → the agent cannot open
// team settings. Usage: node admin-flow.mjs BASE_URL SETUP_CODE SCREENSHOT_DIR
import { launch } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [base, code, shots] = process.argv.slice(2);
if (!base || !code) {
  console.error('usage: admin-flow.mjs BASE_URL SETUP_CODE [SCREENSHOT_DIR]');
  process.exit(2);
}
const dir = shots || '.';
mkdirSync(dir, { recursive: true });

const browser = await launch();
const check = (ok, what) => { if (!ok) throw new Error(what); };

try {
  const owner = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await owner.newPage();
  page.setDefaultTimeout(15000);

  // First run: the root, the admin app and the messenger all send a new hub to set-up.
  for (const start of ['/admin/', '/messenger/', '/']) {
    await page.goto(`${base}${start}`);
    await page.waitForURL('**/setup');
  }
  // A wrong code is refused with a message, not a crash.
  await page.fill('#code', 'WRONG-CODE');
  await page.fill('#name', 'Olga Owner');
  await page.fill('#email', 'olga@hotel.test');
  await page.fill('#password', 'owner password 1');
  await page.click('button[type=submit]');
  await page.waitForSelector('#setup .error:text("set-up code is wrong")');
  await page.fill('#code', code.toLowerCase());
  await page.click('button[type=submit]');
  // Set-up ends on the property page with what to do first.
  await page.waitForURL('**/admin/?start=1#property');
  await page.waitForSelector('#whoami:text("Olga Owner")');
  await page.waitForSelector('#getting-started li:not(.done):has-text("Name your property")');
  await page.fill('#p-name', 'Seaview Guest House');
  await page.fill('#p-tz', 'Europe/Athens');
  await page.click('#property-form button[type=submit]');
  await page.waitForSelector('#getting-started li.done:has-text("Name your property")');
  await page.waitForSelector('#getting-started li.done:has-text("Set its time zone")');
  check(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'the checklist fits the phone');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${dir}/01-owner-after-setup.png` });

  // Sign out, then sign in as the owner with the new password.
  await page.click('#signout');
  await page.waitForSelector('#signin-form', { state: 'visible' });
  await page.fill('#signin-email', 'olga@hotel.test');
  await page.fill('#signin-password', 'not the password');
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#signin-form .error:text("wrong e-mail or password")');
  await page.fill('#signin-password', 'owner password 1');
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#whoami:text("owner")');

  // Invite an agent: no SMTP here, so the link is shown to pass on.
  await page.goto(`${base}/admin/#team`);
  await page.fill('#invite-email', 'alex@hotel.test');
  await page.selectOption('#invite-role', 'agent');
  await page.click('#invite-form button[type=submit]');
  const link = (await page.textContent('#invite-link')).trim();
  check(link.includes('/invite/'), `no invite link: ${link}`);
  await page.click('#copy-invite');
  await page.waitForSelector('#invite-result [role=status]:has-text("Copied.")');
  await page.screenshot({ path: `${dir}/02-invite-link.png` });

  // The invitee, in a browser of their own.
  const invitee = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const ipage = await invitee.newPage();
  ipage.setDefaultTimeout(15000);
  await ipage.goto(link);
  await ipage.waitForSelector('#for-email:text("alex@hotel.test")');
  await ipage.fill('#name', 'Alex Agent');
  await ipage.fill('#nickname', 'Alex');
  await ipage.fill('#password', 'short');
  await ipage.click('button[type=submit]');
  // The browser's own minlength check or the hub's answer: either way no account yet.
  check(ipage.url().includes('/invite/'), 'a short password was accepted');
  await ipage.fill('#password', 'agent password 1');
  await ipage.click('button[type=submit]');
  // An agent lands where agents work: the Team Messenger.
  await ipage.waitForURL('**/messenger/');
  await ipage.waitForSelector('#whoami:text("Alex Agent")');

  // Sign out of the messenger, then in to the admin app as the agent.
  await ipage.click('#signout');
  await ipage.waitForSelector('#signin-form', { state: 'visible' });
  await ipage.goto(`${base}/admin/`);
  await ipage.fill('#signin-email', 'alex@hotel.test');
  await ipage.fill('#signin-password', 'agent password 1');
  await ipage.click('#signin-form button[type=submit]');
  await ipage.waitForSelector('#whoami:text("agent")');
  check(await ipage.locator('#tabs a[data-tab=team]').count() === 0, 'the agent sees a Team tab');

  // Typing the address anyway: the page says no, and so does the hub.
  await ipage.goto(`${base}/admin/#team`);
  await ipage.waitForSelector('#denied:has-text("Only the owner and admins")');
  const status = await ipage.evaluate(async () => (await fetch('/api/v1/admin/members')).status);
  check(status === 403, `the hub answered ${status} to an agent's team request`);
  await ipage.screenshot({ path: `${dir}/03-agent-denied.png` });

  // The link works once.
  const again = await browser.newContext();
  const apage = await again.newPage();
  await apage.goto(link);
  await apage.waitForSelector('#gone:text("expired or was already used")');

  // The owner now sees the new member.
  await page.goto(`${base}/admin/#account`);
  await page.goto(`${base}/admin/#team`);
  await page.waitForSelector('tr[data-member="alex@hotel.test"]');
  // How each is alerted with the messenger closed: e-mail (asked for by default), no push yet.
  const alerts = await page.textContent('tr[data-member="alex@hotel.test"]');
  check(alerts.includes('e-mail') && !alerts.includes('push'), `the Team section says how alerts reach them: ${alerts}`);
  check(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'the Team page fits the phone');
  await page.screenshot({ path: `${dir}/team-alerts.png` });
  console.log('admin flow ok');
} catch (e) {
  // Leave a picture of every open page for whoever reads the failure.
  let n = 0;
  for (const context of browser.contexts()) {
    for (const p of context.pages()) await p.screenshot({ path: `${dir}/failure-${n++}.png` }).catch(() => {});
  }
  throw e;
} finally {
  await browser.close();
}
