// Debian's chromium as every browser test starts it: headless, no sandbox (CI containers),
// and no traffic of its own (no QUIC, updates, sync or background fetches).
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens `path` on the hub and signs in on its sign-in form (the admin app and the
 * Team Messenger share its ids). */
export async function signIn(page, hub, path, email, password) {
  await page.goto(`${hub}${path}`);
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', password);
  await page.click('#signin-form button[type=submit]');
}
