// Times the dashboard in Debian's Chromium against a running binary: first contentful paint,
// and the moment the Overview shows its first number (the data from /metrics and /timeseries
// on screen), for each timeframe, over several fresh page loads. Prints medians in ms.
//   node bench/dashboard/first_paint.mjs http://127.0.0.1:3000 [runs]
// Uses playwright-core from tests/browser (run `npm ci` there first).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/browser/package.json'));
const { chromium } = require('playwright-core');

const url = process.argv[2] ?? 'http://127.0.0.1:3000';
const runs = Number(process.argv[3] ?? 5);
// Timeframes that hold data in the scale database (it ends when it was filled).
const timeframes = (process.env.TIMEFRAMES ?? '1d,1w,1m,all').split(',');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
console.log('timeframe  first_paint_ms  numbers_shown_ms  (median of ' + runs + ')');
for (const timeframe of timeframes) {
  const paints = [];
  const shown = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();  // a cold page each time: no cache
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${url}/?timeframe=${timeframe}&live=0`);
    // The total-requests card holds a number once /metrics has answered and rendered.
    await page.locator('.stat-value:visible').first().filter({ hasText: /\d/ }).waitFor({ timeout: 30000 });
    shown.push(Date.now() - started);
    const fcp = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    paints.push(fcp ?? NaN);
    await context.close();
  }
  console.log(`${timeframe.padEnd(10)} ${median(paints).toFixed(0).padStart(14)} ${String(median(shown)).padStart(17)}`);
}
await browser.close();
