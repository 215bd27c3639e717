// The owner designs the QR plates (GUEST-7) in the admin app: the plate preview follows
// each change before it is saved (heading, size, logo), downloads and the print view use
// the saved design, and the print view shows every plate at its size on a phone and a
// desktop. Leaves plates-<size>.png, plates-sticker.png, print-<size>.png.
// Usage: node plate-editor.mjs HUB_URL OWNER_EMAIL OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const check = (ok, what) => { if (!ok) throw new Error(what); };
const browser = await launch();
const SIZES = [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1366, 800]];
const wider = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
// The preview once it has been drawn anew after drawing number `before`: its number, its
// height to width and its text.
const previewAfter = async (page, before) => {
  await page.waitForFunction((b) => Number(document.querySelector('#plate-preview')?.dataset.drawn) > b, before);
  return page.evaluate(() => {
    const box = document.querySelector('#plate-preview');
    const view = box.querySelector('svg').viewBox.baseVal;
    return { drawn: Number(box.dataset.drawn), ratio: view.height / view.width, text: box.textContent,
      logo: Boolean(box.querySelector('image[href^="data:image/png;base64,"]')) };
  });
};

try {
  for (const [name, width, height] of SIZES) {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    await signIn(page, hub, '/admin/', email, password);
    await page.goto(`${hub}/admin/#guest-page`);
    await previewAfter(page, 0);
    const wide = await wider(page);
    check(wide <= 0, `${name}: the editor is ${wide}px wider than the window`);
    await page.locator('#plates').scrollIntoViewIfNeeded();
    await page.locator('#plates').screenshot({ path: `${dir}/plates-${name}.png` });
    await context.close();
  }

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await signIn(page, hub, '/admin/', email, password);
  await page.goto(`${hub}/admin/#guest-page`);
  let shown = await previewAfter(page, 0);
  check(Math.abs(shown.ratio - 148 / 105) < 0.02, `an A6 plate to start: ${shown.ratio}`);
  await page.waitForSelector('#plate-status:has-text("saved design")');

  // A new heading: the preview changes, and says it is not saved yet.
  await page.fill('#plate-heading', 'Добро пожаловать · Καλώς ήρθατε');
  shown = await previewAfter(page, shown.drawn);
  await page.waitForSelector('#plate-status:has-text("Save them")');
  check(shown.text.includes('Добро пожаловать'), `the preview is drawn with the new heading: ${shown.text}`);

  // Another size: a square sticker.
  await page.selectOption('#plate-format', 'sticker50');
  shown = await previewAfter(page, shown.drawn);
  check(Math.abs(shown.ratio - 1) < 0.02, `a square sticker: ${shown.ratio}`);

  // A logo from a file: the hub's own QR code PNG will do.
  const logo = await page.evaluate(async () => {
    const r = await fetch('/api/v1/admin/reception/wifi/qr?format=png');
    return Array.from(new Uint8Array(await r.arrayBuffer()));
  });
  await page.setInputFiles('#plate-logo', { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from(logo) });
  await page.waitForSelector('#plate-logo-note:has-text("A logo is on the plates")');
  shown = await previewAfter(page, shown.drawn);
  check(shown.logo, 'the logo is on the preview');
  await page.locator('#plates').screenshot({ path: `${dir}/plates-sticker.png` });

  // Saved: downloads and the print view now use it.
  await page.click('#plates button[type=submit]');
  await page.waitForSelector('#plate-saved:has-text("Saved")');
  await page.waitForSelector('#plate-status:has-text("saved design")');
  const pdfHref = await page.locator('#plates a:has-text("Every plate in one PDF")').getAttribute('href');
  const pdf = await page.request.get(`${hub}${pdfHref}`);
  check(pdf.ok() && (await pdf.body()).subarray(0, 5).toString() === '%PDF-', 'every plate in one PDF');
  const printHref = await page.locator('#plates a:has-text("Print view")').getAttribute('href');
  const units = (await page.evaluate(async () => (await fetch('/api/v1/admin/reception/pages')).json())).length;
  await context.close();

  for (const [name, width, height] of [SIZES[0], SIZES[2]]) {
    const ctx = await browser.newContext({ viewport: { width, height } });
    const print = await ctx.newPage();
    print.setDefaultTimeout(15000);
    await signIn(print, hub, '/admin/', email, password);
    await print.waitForSelector('#signin-form', { state: 'hidden' });
    await print.goto(`${hub}${printHref}`);
    await print.waitForSelector('.sheet.a4 svg');
    const stickers = await print.locator('.sheet g[transform]').count();
    check(stickers === units + 2, `the hotel's sticker, every unit's and the Wi-Fi's: ${stickers} of ${units + 2}`);
    const wide = await wider(print);
    check(wide <= 0, `${name}: the print view is ${wide}px wider than the window`);
    await print.screenshot({ path: `${dir}/print-${name}.png` });
    await print.emulateMedia({ media: 'print' });
    check(!(await print.locator('.bar').isVisible()), 'the buttons are not printed');
    await ctx.close();
  }
  console.log('plate editor ok');
} finally {
  await browser.close();
}
