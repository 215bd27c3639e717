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
