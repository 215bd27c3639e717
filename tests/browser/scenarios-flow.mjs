// Scenarios in Chromium: the owner builds "lights 10 minutes before sunset, if any room
// is occupied" with the form (no JSON), runs it by hand and reads its trace in words; the
// Bookings tab shows who is in, refuses an overlapping stay naming the other, and asks
// before a check-in; removing a room says what goes with it.
// Usage: node scenarios-flow.mjs HUB_URL OWNER_EMAIL OWNER_PASSWORD SCREENSHOT_DIR
import { launch, signIn } from './launch.mjs';
import { mkdirSync } from 'node:fs';

const [hub, email, password, shots] = process.argv.slice(2);
const dir = shots || '.';
mkdirSync(dir, { recursive: true });
const browser = await launch();
const name = 'Lights before sunset (made in the form)';

try {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await signIn(page, hub, '/admin/#bookings', email, password);
  await page.waitForSelector('#occupancy tr[data-unit="102"] .badge.online');
  await page.waitForSelector('#reservations td:has-text("Maria Papadopoulou")');

  // Room 102 is Maria's tonight: a stay entered over it is refused with her name, and can
  // be entered anyway.
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  await page.selectOption('#reservation-form select', { label: '102' });
  await page.fill('#r-guest', 'Jan Novak');
  await page.fill('#r-in', today);
  await page.fill('#r-out', tomorrow);
  await page.click('#reservation-form button[type=submit]');
  await page.waitForSelector('#reservation-form .error:has-text("Maria Papadopoulou")');
  await page.waitForSelector('#book-anyway', { state: 'visible' });
  await page.screenshot({ path: `${dir}/bookings-overlap-refused.png` });

  // Entered anyway, then checked in: the question names the guest and the room, and a
  // "no" changes nothing.
  const questions = [];
  let answer = false;
  page.on('dialog', async (d) => { questions.push(d.message()); await (answer ? d.accept() : d.dismiss()); });
  await page.click('#book-anyway');
  const jan = '#reservations tr:has(td:has-text("Jan Novak"))';
  await page.waitForSelector(`${jan} button:has-text("Check in")`);
  await page.click(`${jan} button:has-text("Check in")`);
  if (!questions.at(-1)?.includes('Check in Jan Novak (102')) throw new Error(`check-in question: ${questions.at(-1)}`);
  if (!(await page.isVisible(`${jan} button:has-text("Check in")`))) throw new Error('a dismissed check-in acted');
  answer = true;
  await page.click(`${jan} button:has-text("Check in")`);
  await page.waitForSelector(`${jan} td:has-text("Checked in")`);

  // Removing room 102 would take Maria's and Jan's stays: the question says so; "no" keeps it.
  answer = false;
  await page.click('#tabs a[data-tab=rooms]');
  await page.click('tr:has(td:text-is("102")) button:has-text("Delete")');
  for (let i = 0; i < 50 && !questions.at(-1)?.startsWith('Delete 102?'); i++) await page.waitForTimeout(100);
  if (!/Delete 102\? This also deletes its 2 reservations still to come/.test(questions.at(-1))) {
    throw new Error(`room question: ${questions.at(-1)}`);
  }
  await page.waitForSelector('tr:has(td:text-is("102"))');

  await page.click('#tabs a[data-tab=scenarios]');
  await page.waitForSelector('#sky:has-text("Sunrise")');
  await page.click('#new-scenario');
  await page.fill('#s-name', name);
  await page.selectOption('#triggers select.add-trigger', 'sun');
  await page.selectOption('#triggers li.trigger select[data-field=Event]', 'sunset');
  await page.fill('#triggers li.trigger input[type=number]', '-10');
  await page.selectOption('#conditions select.add-condition', 'occupancy');
  await page.selectOption('#conditions li.condition select[data-field=Units]', 'any');
  await page.selectOption('#actions select.add-action', 'device');
  await page.selectOption('#actions li.action select[data-field=Target]', 'group');
  await page.selectOption('#actions li.action select[data-field=Group]', 'Outside lights');
  await page.selectOption('#actions li.action select[data-field=Command]', 'on');
  await page.screenshot({ path: `${dir}/scenario-form.png`, fullPage: true });
  await page.click('#scenario-form button[type=submit]');

  const row = `tr[data-scenario="${name}"]`;
  await page.waitForSelector(`${row}:has-text("10 min before sunset")`);
  await page.click(`${row} button.run-now`);
  // The trace: why it ran, what the condition said, what the action did, in words; the
  // list's last run follows without a reload, and the history is scrolled into view.
  await page.waitForSelector('.history details.run[open] summary:has-text("done")');
  await page.waitForSelector('.history details.run[open] .trace td:has-text("any unit occupied")');
  await page.waitForSelector('.history details.run[open] .trace td:text-is("Condition 1")');
  await page.waitForSelector('.history details.run[open] .trace td:has-text("group \\"Outside lights\\": turn on")');
  await page.waitForSelector('.history details.run[open] .trace td:has-text("Terrace bulb: done")');
  await page.waitForSelector(`${row} .last-run:has-text("done")`);
  await page.waitForFunction(() => {
    const r = document.querySelector('#scenario-detail').getBoundingClientRect();
    return r.top < innerHeight && r.bottom > 0;
  });
  await page.screenshot({ path: `${dir}/scenario-trace.png`, fullPage: true });
  console.log('scenarios flow ok');
} finally {
  await browser.close();
}
