// The owner designs the guest page in the admin app (GUEST-1, 9): the preview shows each
// change before it is saved (a new title, a block turned off, another language, another
// screen), and guests see the page once it is saved. Leaves editor-<size>.png.
// Usage: node guest-page-editor.mjs HUB_URL OWNER_EMAIL OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
const browser = await launch();
const preview = (page) => page.frameLocator('#guest-preview');

try {
  for (const [name, width, height] of [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1366, 800]]) {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    await signIn(page, hub, '/admin/', email, password);
    await page.goto(`${hub}/admin/#guest-page`);
    await page.waitForSelector('#page-design');
    await preview(page).locator('section.title h2').waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(wide <= 0, `${name}: the editor is ${wide}px wider than the window`);
    await page.screenshot({ path: `${dir}/editor-${name}.png`, fullPage: true });
    await context.close();
  }

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await signIn(page, hub, '/admin/', email, password);
  await page.goto(`${hub}/admin/#guest-page`);
  await page.waitForSelector('#page-design');
  await preview(page).locator('section.places').waitFor();

  // A new title shows in the preview before it is saved.
  await page.fill('#g-title', 'Hello from the editor');
  await preview(page).locator('section.title h2:has-text("Hello from the editor")').waitFor();
  // A block turned off leaves the preview.
  await page.uncheck('#page-blocks li[data-kind="places"] input[type=checkbox] >> nth=0');
  await preview(page).locator('section.title h2:has-text("Hello from the editor")').waitFor();
  await page.waitForFunction(() => !document.querySelector('#guest-preview').contentDocument?.querySelector('section.places')
    && document.querySelector('#guest-preview').contentDocument?.querySelector('section.title'));
  // Another language and another screen.
  await page.selectOption('#g-lang', 'ru');
  await preview(page).locator('text=Местное время').waitFor();
  await page.selectOption('#g-size', 'phone');
  const scaled = await page.evaluate(() => document.querySelector('#guest-preview').style.width);
  check(scaled === '390px', `the phone frame: ${scaled}`);

  // Guests still see the saved page until Save.
  const guest = await (await browser.newContext()).newPage();
  const pages = await page.evaluate(async () => (await fetch('/api/v1/admin/reception/pages')).json());
  const path = pages[0].path;
  await guest.goto(`${hub}${path}`);
  check(!(await guest.content()).includes('Hello from the editor'), 'an unsaved title is not on the guest page');
  await page.click('#page-design button[type=submit]');
  await page.waitForSelector('#design-saved:has-text("Saved")');
  await guest.reload();
  await guest.locator('section.title h2:has-text("Hello from the editor")').waitFor();
  check(await guest.locator('section.places').count() === 0, 'the places block is off for guests too');
  await page.screenshot({ path: `${dir}/editor-after-save.png`, fullPage: true });
  await context.close();
  console.log('guest page editor ok');
} finally {
  await browser.close();
}
