// The widget on a product page over a slow link (issue 6): how long a shopper waits between
// pressing "Shop the look" and its rows when they press PRESS seconds after navigation, with
// the sample page as it is (nothing loads before the press), with `preload` added to its
// <vitrine-look> and with `preload="cached"`, alternating; each on a first visit (a fresh browser
// context) and then on a second visit in the same context (the wasm and models from the Cache
// API).
//   node bench/bench-widget.js [RUNS] [MBIT] [LATENCY] [PRESS]   (after scripts/build-web.sh)
// The times also go to target/bench/widget.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/browsers.js';
import { serve } from '../scripts/serve.js';
import { requireDist, seconds } from './slow-link.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [runs, mbit, latency, press] = [2, 20, 40, 10].map((d, i) => Number(process.argv[2 + i] || d));
const dist = path.join(root, 'dist');
requireDist(dist, 'pdp.html');

// Each mode's attribute, added to the page's <vitrine-look>.
const modes = new Map([['as is', ''], ['preload', 'preload'], ['preload="cached"', 'preload="cached"']]);
const visits = ['first', 'second'];
const waits = new Map([...modes.keys()].flatMap((m) => visits.map((v) => [`${m}, ${v} visit`, []])));
const prepared = [];
const browser = await launchChromium();
try {
  for (let run = 0; run < runs; run++) {
    for (const [mode, attribute] of modes) {
      const server = await serve(dist, 0, { bytesPerSecond: (mbit * 1e6) / 8, latencyMs: latency });
      const context = await browser.newContext();
      try {
        // The full shot alone (`for="look"`), as measured before pdp.html had a gallery: the
        // gallery adds ~280 ms a photo passed over (BENCHMARKS.md "The colour demo catalog").
        await context.route('**/pdp.html', async (route) => {
          const response = await route.fetch();
          const body = (await response.text()).replace('<vitrine-look for="gallery" ', `<vitrine-look for="look" ${attribute} `);
          await route.fulfill({ response, body });
        });
        const page = await context.newPage();
        // In the page's clock (0 = navigation start).
        await page.addInitScript(() => {
          document.addEventListener('vitrine:prepared', () => { window.preparedAt = performance.now(); });
          document.addEventListener('vitrine:results', () => { window.resultsAt = performance.now(); });
          document.addEventListener('vitrine:error', (e) => { window.failed = e.detail.message; });
        });
        for (const visit of visits) {
          await page.goto(`http://127.0.0.1:${server.address().port}/pdp.html`);
          const button = page.locator('vitrine-look button');
          await button.waitFor();
          await page.waitForTimeout(Math.max(0, press * 1000 - (await page.evaluate(() => performance.now()))));
          const pressedAt = await page.evaluate(() => performance.now());
          await button.click();
          await page.waitForFunction(() => window.resultsAt || window.failed, null, { timeout: 600_000, polling: 50 });
          const { resultsAt, preparedAt, failed } = await page.evaluate(() => ({ ...window }));
          if (failed) throw new Error(`the widget failed: ${failed}`);
          const wait = resultsAt - pressedAt;
          waits.get(`${mode}, ${visit} visit`).push(wait);
          if (preparedAt) prepared.push({ mode, visit, ms: preparedAt });
          const extra = preparedAt ? `; look prepared ${(preparedAt / 1000).toFixed(2)} s after navigation` : '';
          console.log(`run ${run + 1}, ${mode}, ${visit} visit: pressed at ${(pressedAt / 1000).toFixed(2)} s, rows ${(wait / 1000).toFixed(2)} s later${extra}`);
        }
      } finally {
        await context.close();
        server.close();
      }
    }
  }
} finally {
  await browser.close();
}
const out = path.join(root, 'target', 'bench');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'widget.json'), JSON.stringify({
  link: { mbit, latencyMs: latency }, pressAfterS: press, runs,
  waitMs: Object.fromEntries(waits), preparedMs: prepared,
}, null, 1));
console.log(`\n| widget | press -> rows, s: median (min-max) of ${runs} | link, press |\n|---|---|---|`);
for (const [mode, t] of waits) {
  console.log(`| ${mode} | ${seconds(t)} | ${mbit} Mbit/s, ${latency} ms; ${press} s after navigation |`);
}
