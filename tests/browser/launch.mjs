// Debian's chromium as every browser test starts it: headless, no sandbox (CI containers),
// and no traffic of its own (no QUIC, updates, sync or background fetches).
import { chromium } from 'playwright-core';

/** The browser, watching every page for what the hub's Content-Security-Policy blocked:
 * closing it throws if anything was (an inline script or style the policy refuses is a
 * page that silently does not work). `executablePath`: another way to start Chromium (a
 * script that starts it in a network namespace). */
export async function launch(extraArgs = [], executablePath = '/usr/bin/chromium') {
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...extraArgs],
  });
  const blocked = [];
  const watch = (page) => page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) blocked.push(`${page.url()}: ${m.text()}`);
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on('page', watch);
    return context;
  };
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (...args) => {
    const page = await newPage(...args);
    watch(page);
    return page;
  };
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    if (blocked.length) throw new Error(`the page's policy blocked:\n${blocked.join('\n')}`);
  };
  return browser;
}

/** Opens `path` on the hub and signs in on its sign-in form (the admin app and the
 * Team Messenger share its ids). */
export async function signIn(page, hub, path, email, password) {
  await page.goto(`${hub}${path}`);
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', password);
  await page.click('#signin-form button[type=submit]');
}
