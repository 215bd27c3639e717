// Measures the guest page as a weak phone meets it, for `cargo bench -p hub --bench
// guest_page`: a 390×844 Chromium with the CPU slowed 4× (Chrome DevTools Protocol,
// Emulation.setCPUThrottlingRate) opens the page, then opens it again. Prints the bytes
// transferred on each visit (every response, the chat widget's included, as the network
// counted them), the first contentful paint and the load time of the first visit.
// Usage: node guest-page-perf.mjs HUB_URL PAGE_PATH
import { launch } from './launch.mjs';

const [hub, path] = process.argv.slice(2);
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests += 1; });
  // The widget's socket stays open: a visit is measured once the page and its frame loaded.
  const visit = async () => {
    bytes = 0;
    requests = 0;
    await page.goto(hub + path, { waitUntil: 'load' });
    await page.locator('iframe[title="Chat"]').waitFor({ state: 'attached', timeout: 15000 });
    await page.frameLocator('iframe[title="Chat"]').locator('#launcher').waitFor({ timeout: 15000 });
    await page.waitForTimeout(300);
    return { bytes, requests };
  };
  const first = await visit();
  const timing = await page.evaluate(() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    load: performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? -1,
  }));
  const repeat = await visit();
  console.log(`first_bytes ${first.bytes}`);
  console.log(`first_requests ${first.requests}`);
  console.log(`repeat_bytes ${repeat.bytes}`);
  console.log(`repeat_requests ${repeat.requests}`);
  console.log(`first_paint_ms ${timing.paint.toFixed(0)}`);
  console.log(`load_ms ${timing.load.toFixed(0)}`);
} finally {
  await browser.close();
}
