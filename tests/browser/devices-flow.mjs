// Smart devices in Chromium: the owner discovers the demo's emulated Tuya devices, imports
// the lobby lamp, switches it from its card, and sees changes arrive live (also one made
// outside the card, through the API).
// Usage: node devices-flow.mjs HUB_URL OWNER_EMAIL OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const browser = await launch();

try {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await signIn(page, hub, '/admin/#devices', email, password);
  // The demo's thermostat is already there, online.
  await page.waitForSelector('.device[data-native="bfdemo102thermostat01"] .badge.online');

  await page.click('#brand-tuya button.discover');
  const row = '#brand-tuya tr[data-native="bfdemolobbylamp000001"]';
  await page.waitForSelector(row);
  if (await page.locator('#brand-tuya tr[data-native]').count() !== 4) throw new Error('four demo devices answer');
  // A Tuya answer does not say what the device is: the table asks rather than guesses.
  if (await page.locator('#brand-tuya .found-table th:text-is("Kind")').count() !== 1) throw new Error('the found table has headers');
  if (await page.inputValue(`${row} select >> nth=0`) !== '') throw new Error('a kind was guessed for a Tuya device');
  await page.check(`${row} input[type=checkbox]`);
  await page.click('#brand-tuya button.import');
  await page.waitForSelector('#brand-tuya .error:has-text("Choose what each ticked device is")');
  await page.selectOption(`${row} select >> nth=0`, 'light');
  await page.fill(`${row} input[aria-label^="Name of"]`, 'Lobby lamp');
  await page.click('#brand-tuya button.import');
  const card = '.device[data-native="bfdemolobbylamp000001"]';
  await page.waitForSelector(`${card} .badge.online`);
  await page.waitForSelector(`${card} .state:has-text("Off")`);

  // Switched from its card: the card changes when the device has confirmed.
  await page.click(`${card} button.power`);
  await page.waitForSelector(`${card} .state:has-text("On")`);
  await page.waitForSelector(`${card} button.power:has-text("Turn off")`);
  await page.screenshot({ path: `${dir}/devices-on.png`, fullPage: true });

  // A change made elsewhere arrives by itself.
  const id = await page.getAttribute(card, 'data-id');
  await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/devices/${id}/command`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ brightness: 20 }),
    });
    if (!r.ok) throw new Error(`command failed: ${r.status}`);
  }, id);
  await page.waitForSelector(`${card} .state:has-text("20")`);
  console.log('devices flow ok');
} finally {
  await browser.close();
}
