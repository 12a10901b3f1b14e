// The browser benchmark (issue 6): serves dist/, runs bench.html in headless Chromium (Debian's,
// one tab, the page's own thread), writes target/bench/browser.json and prints the tables.
//   node bench/bench-browser.js [RUNS]        (after scripts/build-web.sh and npm ci)
// WASM=simd128 (or relaxed) runs that wasm build instead of the one the browser would pick.
// BROWSER=firefox runs it in Debian's Firefox ESR instead (puppeteer-core; browser-firefox.json),
// BROWSER=webkit in WebKitGTK's MiniBrowser (selenium-webdriver, on Xvfb; browser-webkit.json).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium, launchFirefox, NEEDS, startWebKit } from '../scripts/browsers.js';
import { precompressed, serve } from '../scripts/serve.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// DIST: another build to compare (default dist/).
const dist = process.env.DIST ? path.resolve(process.env.DIST) : path.join(root, 'dist');
const BROWSER = process.env.BROWSER || 'chromium';
const executables = NEEDS[BROWSER];
if (!executables) {
  console.error(`BROWSER=${BROWSER}: use chromium (the default), firefox or webkit`);
  process.exit(2);
}
const runs = Number(process.argv[2] || 10);

for (const [file, fix] of [
  [path.join(dist, 'bench.js'), 'build it with scripts/build-web.sh'],
  [path.join(dist, 'ort', 'ort-wasm-simd-threaded.wasm'), 'npm ci (onnxruntime-web), then scripts/build-web.sh'],
  [path.join(dist, 'samples', 'messi5.jpg'), 'tests/fetch-photos.sh, then scripts/build-web.sh'],
  ...executables,
]) {
  if (!existsSync(file)) {
    console.error(`${file} is missing: ${fix}`);
    process.exit(2);
  }
}

const server = await serve(dist);
const wasm = process.env.WASM ? `&wasm=${encodeURIComponent(process.env.WASM)}` : '';
const url = `http://127.0.0.1:${server.address().port}/bench.html?runs=${runs}${wasm}`;
const TIMEOUT = 600_000;
let result;
if (BROWSER === 'webkit') {
  const webkit = await startWebKit();
  try {
    const driver = await webkit.session();
    try {
      await driver.get(url);
      // WebDriver classic has no console events: bench.html reports its errors in the result.
      const end = Date.now() + TIMEOUT;
      while (!(result = await driver.executeScript(() => window.benchResult))) {
        if (Date.now() > end) throw new Error(`bench.html gave no result within ${TIMEOUT / 1000} s`);
        await sleep(500);
      }
    } finally {
      await driver.quit();
    }
  } finally {
    webkit.stop();
    server.close();
  }
} else {
  const browser = BROWSER === 'firefox' ? await launchFirefox() : await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.error(`page: ${m.text()}`); });
    await page.goto(url);
    const wait = { timeout: TIMEOUT, polling: 500 };
    // playwright-core and puppeteer-core take the options in different places.
    if (BROWSER === 'firefox') await page.waitForFunction(() => window.benchResult, wait);
    else await page.waitForFunction(() => window.benchResult, null, wait);
    result = await page.evaluate(() => window.benchResult);
  } finally {
    await browser.close();
    server.close();
  }
}
if (result.error) {
  console.error(`bench.html: ${result.error}${result.stack ? `\n${result.stack}` : ''}`);
  process.exit(1);
}
// First load: what the demo page fetches on a first visit (the full landmark model; lite apart).
const size = (file) => {
  const bytes = readFileSync(path.join(dist, file));
  // What scripts/serve.js sends Chromium (which accepts br and gzip).
  const { body } = precompressed(path.join(dist, file), 'gzip, br');
  return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, sent: statSync(body).size };
};
const top = readdirSync(dist).filter((f) => /\.(wasm|js|html|css)$/.test(f) && !f.startsWith('bench') && !['pdp.html', 'vitrine-look.js'].includes(f));
const defaults = ['pose_detector.onnx', 'pose_landmarks_full.onnx', 'ssd_oidv4.onnx', 'vitrine_embedder.onnx'];
// Of the two wasm builds, the one that ran.
const wasmFile = path.basename(new URL(result.wasmUrl).pathname);
const firstLoad = [
  ...top.filter((f) => f === wasmFile).map(size),
  ...defaults.map((f) => size(`models/${f}`)),
  ...['index.bin', 'products.json'].map((f) => size(`index/clothing/${f}`)),
  ...top.filter((f) => !f.endsWith('.wasm')).map(size),
];
result.firstLoad = firstLoad;
result.liteLandmarks = size('models/pose_landmarks_lite.onnx');
const out = path.join(root, 'target', 'bench');
mkdirSync(out, { recursive: true });
const json = BROWSER === 'chromium' ? 'browser.json' : `browser-${BROWSER}.json`;
writeFileSync(path.join(out, json), `${JSON.stringify(result, null, 2)}\n`);

const f = (ms) => ms.toFixed(1);
const spread = (s) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
console.log(`${result.userAgent}; ${result.hardwareConcurrency} cores; ${result.runs} warm runs; wasm build ${result.wasmBuild}, init ${f(result.wasmInit)} ms\n`);
console.log('| model | input | tract load | tract cold | tract warm median (min-max) | ORT load | ORT cold | ORT warm median (min-max) | tract / ORT | outputs differ by |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const m of result.models) {
  console.log(`| ${m.file} | ${m.shape.join('x')} | ${f(m.tract.load)} | ${f(m.tract.cold)} | ${spread(m.tract.warm)} | ${f(m.ort.load)} | ${f(m.ort.cold)} | ${spread(m.ort.warm)} | ${m.ratio.toFixed(2)} | ${m.agreement.maxRelativeDiff.toExponential(1)} |`);
}
// G multiply-adds per second (tract's count of them): how well each kind of step runs.
const gmacs = (macs, ms) => (macs > 0 && ms > 0 ? `${(macs / ms / 1e6).toFixed(2)} G/s` : '');
for (const m of result.models) {
  const total = m.ops.reduce((a, o) => a + o.ms, 0);
  const macs = m.ops.reduce((a, o) => a + o.macs, 0);
  const top = m.ops.slice(0, 6).map((o) => `${o.op} ${f(o.ms)} (${Math.round((100 * o.ms) / total)}%, ${o.steps}${o.macs ? `, ${f(o.macs / 1e6)} M ${gmacs(o.macs, o.ms)}` : ''})`);
  console.log(`\n${m.file}: tract's plan ${f(total)} ms per run (step medians), ${f(macs / 1e6)} M multiply-adds, ${gmacs(macs, total)}: ${top.join('; ')}`);
}
const { look } = result;
console.log(`\nlook on ${look.photo} (${look.verdict}); vitrine load ${f(look.load)} ms\n`);
console.log('| stage | M multiply-adds | cold | warm median (min-max) |');
console.log('|---|---|---|---|');
for (const [stage, s] of Object.entries(look.warm)) {
  console.log(`| ${stage} | ${f(look.multiplyAdds[stage] / 1e6)} | ${f(look.cold[stage])} | ${spread(s)} |`);
}
const w = result.workers;
console.log(`\nthe same look through VitrineClient (the demo's way), timed in the page, alternating; products as one thread: ${w.sameProducts}`);
console.log(`| workers | cold | warm median (min-max) | the look's own total, in the worker | warm, until its verdict and boxes |\n|---|---|---|---|---|`);
console.log(`| 1 | ${f(w.one.cold)} | ${spread(w.one.warm)} | ${spread(w.one.inside)} | ${spread(w.one.preview)} |`);
console.log(`| 2${w.twoWorkers ? '' : ' (the second did NOT load: one)'} | ${f(w.two.cold)} | ${spread(w.two.warm)} | ${spread(w.two.inside)} | ${spread(w.two.preview)} |`);
const stageNames = Object.keys(w.one.stages);
console.log(`stage medians in the workers, 1 / 2 workers (ms): ${stageNames.filter((s) => !s.startsWith('search'))
  .map((s) => `${s} ${f(w.one.stages[s].median)} / ${w.two.stages[s] ? f(w.two.stages[s].median) : '-'}`).join(', ')}`);
console.log(`workers loaded (load ms, wasm memory MB): ${w.loaded.map((l) => `${l.worker} ${f(l.ms)} / ${f(l.wasmMB)}`).join('; ')}`);
const mb = (n) => (n / 1e6).toFixed(2);
console.log('\n| first load | raw MB | gzip -9 MB | sent by serve.js (.br, else .gz) MB |\n|---|---|---|---|');
for (const { file, raw, gzip, sent } of firstLoad) console.log(`| ${file} | ${mb(raw)} | ${mb(gzip)} | ${mb(sent)} |`);
const sum = (k) => firstLoad.reduce((a, f) => a + f[k], 0);
console.log(`| total | ${mb(sum('raw'))} | ${mb(sum('gzip'))} | ${mb(sum('sent'))} |`);
const lite = result.liteLandmarks;
console.log(`(lite landmarks instead of full: ${mb(lite.raw)} / ${mb(lite.gzip)} / ${mb(lite.sent)} MB)`);
console.log(`\nwritten: ${path.relative(root, path.join(out, json))}`);
