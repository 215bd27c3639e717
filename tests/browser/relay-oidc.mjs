// An owner signs in on the relay with an OpenID provider (a real one, oidc-provider, on
// loopback): the provider's sign-in and consent pages, then back to the dashboard signed in.
// Prints the callback address it came back on ("callback URL"), for the test to replay.
// Usage: node relay-oidc.mjs RELAY_URL LOGIN SCREENSHOT_DIR
import { launch } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [relay, login, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  let callback = null;
  let authorization = null;
  page.on('request', (r) => {
    if (r.url().includes('/auth/oidc/local/callback')) callback = r.url();
    if (!r.url().startsWith(relay) && r.url().includes('/auth?')) authorization = new URL(r.url());
  });
  await page.goto(`${relay}/`);
  await page.click('#providers a[data-provider="local"]');
  // The provider's own pages.
  await page.waitForSelector('input[name="login"]');
  check(!page.url().startsWith(relay), `at the provider: ${page.url()}`);
  check(authorization && authorization.searchParams.get('code_challenge_method') === 'S256', 'PKCE is asked for');
  check(authorization.searchParams.get('nonce') && authorization.searchParams.get('state'), 'a nonce and a state are sent');
  await page.fill('input[name="login"]', login);
  const password = page.locator('input[name="password"]');
  if (await password.count()) await password.fill('any password');
  await page.click('button[type="submit"]');
  await page.click('button:has-text("Continue")');
  await page.waitForSelector('#who:has-text("@")').catch(async (e) => {
    // Say where it ended up: the relay's page says why a sign-in was refused.
    throw new Error(`not signed in at ${page.url()}: ${(await page.textContent('body')).slice(0, 400)}\n${e.message}`);
  });
  check((await page.textContent('#who')).includes(login), 'signed in as the provider said');
  await page.waitForSelector('#hubs');
  await page.screenshot({ path: `${dir}/relay-oidc-signed-in-phone.png` });
  check(callback && callback.includes('state='), `came back with a state: ${callback}`);
  console.log(`callback ${callback}`);
  console.log('relay oidc ok');
} finally {
  await browser.close();
}
