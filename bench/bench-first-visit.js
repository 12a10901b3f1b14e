// A first visit over a slow link (issue 6): the demo page with an empty cache, served by
// scripts/serve.js at MBIT Mbit/s shared by all requests plus LATENCY ms per request, timed
// from navigation until the page says its look worker is ready (body[data-ready]); then a
// second visit in the same browser profile (everything from its caches).
//   node bench/bench-first-visit.js [RUNS] [MBIT] [LATENCY]   (after scripts/build-web.sh)
// DISTS=a,b alternates two builds (default dist/), one fresh browser context per first visit.
// The times also go to target/bench/first-visit.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/browsers.js';
import { serve } from '../scripts/serve.js';
import { requireDist, seconds } from './slow-link.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [runs, mbit, latency] = [2, 20, 40].map((d, i) => Number(process.argv[2 + i] || d));
const dists = (process.env.DISTS || 'dist').split(',').map((d) => path.resolve(root, d));
for (const dist of dists) requireDist(dist, 'index.html');

const browser = await launchChromium();
const visits = ['first', 'second'];
// Per build and visit: ready after navigation, and the worker's own wasm fetch + compile.
const times = new Map(dists.map((d) => [d, Object.fromEntries(visits.map((v) => [v, { readyMs: [], wasmMs: [] }]))]));
try {
  for (let run = 0; run < runs; run++) {
    for (const dist of dists) {
      const server = await serve(dist, 0, { bytesPerSecond: (mbit * 1e6) / 8, latencyMs: latency });
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        // When the demo marks itself ready, in the page's clock (0 = navigation start).
        await page.addInitScript(() => {
          new MutationObserver(() => {
            if (document.body?.dataset.ready === 'true' && !window.readyAt) window.readyAt = performance.now();
          }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
        });
        // The second visit: the same browser profile, so the page, wasm, models and index come
        // from its caches (service worker, Cache API).
        for (const visit of visits) {
          await page.goto(`http://127.0.0.1:${server.address().port}/`);
          await page.waitForFunction(() => window.readyAt, null, { timeout: 600_000, polling: 200 });
          const { ms, wasmMs } = await page.evaluate(() => ({ ms: window.readyAt, wasmMs: Number(document.body.dataset.wasmMs) }));
          times.get(dist)[visit].readyMs.push(ms);
          times.get(dist)[visit].wasmMs.push(wasmMs);
          console.log(`${path.relative(root, dist) || dist} run ${run + 1}, ${visit} visit: ready after ${(ms / 1000).toFixed(2)} s (wasm fetch and compile ${(wasmMs / 1000).toFixed(2)} s)`);
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
writeFileSync(path.join(out, 'first-visit.json'), JSON.stringify({
  link: { mbit, latencyMs: latency }, runs,
  builds: [...times].map(([dist, t]) => ({ dist: path.relative(root, dist) || dist, ...t })),
}, null, 1));
console.log(`\n| build | visit | ready after, s: median (min-max) of ${runs} | of it wasm fetch and compile | link |\n|---|---|---|---|---|`);
for (const [dist, t] of times) {
  for (const visit of visits) {
    console.log(`| ${path.relative(root, dist) || dist} | ${visit} | ${seconds(t[visit].readyMs)} | ${seconds(t[visit].wasmMs)} | ${mbit} Mbit/s, ${latency} ms |`);
  }
}
