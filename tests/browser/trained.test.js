// A retailer's own embedder in the page (issue 26): a head trained here on a small Fashion-MNIST
// catalog (Debian's dataset-fashion-mnist, as scripts/build-web.sh's demo index) by the real
// `vitrine train`, an index built with it by `vitrine index build --embedder` into dist/test/
// (removed afterwards), and the <vitrine-look> widget pointed at that index in Chromium: the
// worker loads the embedder the index names from beside it and the wasm checks its sha256
// against the index's; another head in its place is refused naming both hashes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { launchChromium, NEEDS } from '../../scripts/browsers.js';
import { serve } from '../../scripts/serve.js';
import { artifacts, assertThreeRowsOfFive, dist, photo, requireFiles, root, ROWS } from './shared.js';

const LOOK_TIMEOUT = 120_000;
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
// The CLI scripts/test.sh's `cargo test` built (or a release build).
const VITRINE = ['debug', 'release'].map((p) => path.join(root, 'target', p, 'vitrine')).find(existsSync)
  ?? path.join(root, 'target', 'debug', 'vitrine');

requireFiles([
  [path.join(dist, 'vitrine-look.js'), 'build it with scripts/build-web.sh'],
  [photo('messi5.jpg'), 'fetch them with tests/fetch-photos.sh'],
  [VITRINE, 'build the CLI with cargo build (scripts/test.sh runs cargo test first)'],
  [FASHION_MNIST, 'apt-get install dataset-fashion-mnist (scripts/setup.sh does)'],
  ...NEEDS.chromium,
]);

const work = path.join(artifacts, 'trained');
/** Served at /test/trained/: the page fetches the index and its embedder from there. */
const served = path.join(dist, 'test', 'trained');
const heads = [1, 2].map((seed) => path.join(work, `head-${seed}.onnx`));
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

let server;
let origin;
let browser;

before(async () => {
  const started = performance.now();
  rmSync(work, { recursive: true, force: true });
  const vitrine = (...args) => execFileSync(VITRINE, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  vitrine('catalog', 'fashion-mnist', '--out', work, '--per-class', '8');
  // No dresses: with so few products a dress could replace the top and bottom rows.
  const csv = path.join(work, 'catalog.csv');
  const lines = readFileSync(csv, 'utf8').split('\n');
  const wear = lines[0].split(',').indexOf('wear');
  writeFileSync(csv, lines.filter((l, i) => i === 0 || (l && l.split(',')[wear] !== 'dress')).join('\n') + '\n');
  const data = ['--catalog', csv, '--images', work, '--cache', path.join(work, 'features')];
  for (const [i, out] of heads.entries()) vitrine('train', ...data, '--epochs', '3', '--seed', String(i + 1), '--out', out);
  rmSync(served, { recursive: true, force: true });
  mkdirSync(path.dirname(served), { recursive: true });
  const built = vitrine('index', 'build', '--catalog', csv, '--images', work, '--out', served, '--embedder', heads[0]);
  assert.match(built, /embedder: embedder\.onnx \(its own/);
  console.log(`trained 2 heads and built the index in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  server = await serve(dist);
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(path.join(dist, 'test'), { recursive: true, force: true });
});

/** pdp.html in a fresh profile with its widget pointed at the trained index; records requests
 * and the widget's events. */
async function widgetPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${origin}/pdp.html`);
  await page.evaluate(() => {
    window.events = [];
    for (const name of ['vitrine:ready', 'vitrine:results', 'vitrine:error']) {
      document.addEventListener(name, (e) => window.events.push({ name, detail: e.detail }));
    }
    document.querySelector('vitrine-look').setAttribute('index', 'test/trained/');
  });
  return { context, page, requests, errors };
}

async function press(page) {
  await page.locator('vitrine-look button').click();
  await page.waitForFunction(() => window.events.some((e) => e.name !== 'vitrine:ready'), null, { timeout: LOOK_TIMEOUT });
  return page.evaluate(() => window.events);
}

test('widget: an index built with its own embedder makes the look with it, loaded from beside the index', async () => {
  const { context, page, requests, errors } = await widgetPage();
  const events = await press(page);
  assert.deepEqual(events.map((e) => e.name), ['vitrine:ready', 'vitrine:results'], JSON.stringify(events));
  assert.equal(events[1].detail.verdict.full_shot, true);
  assertThreeRowsOfFive(await page.evaluate(ROWS, true));
  await page.locator('vitrine-look').screenshot({ path: path.join(artifacts, 'pdp-trained.png') });
  // The index's embedder came from beside it, named by its sha256; the shipped one not at all.
  const own = `${origin}/test/trained/embedder.onnx?sha256=${sha256(heads[0])}`;
  assert.ok(requests.includes(own), `the page fetched ${own}`);
  assert.ok(!requests.some((u) => u.includes('vitrine_embedder.onnx')), 'the shipped embedder was fetched too');
  // It is cached like the shipped models (the second worker and a second visit use the copy).
  const cached = await page.evaluate(async (url) => Boolean(await (await caches.open('vitrine-v1')).match(url)), own);
  assert.ok(cached, 'the embedder is in the cache');
  assert.deepEqual(errors, []);
  await context.close();
});

test('widget: another embedder file in place of the index\'s is refused, naming the file and both hashes', async () => {
  const file = path.join(served, 'embedder.onnx');
  copyFileSync(heads[1], file);
  try {
    const { context, page } = await widgetPage();
    const events = await press(page);
    const error = events.find((e) => e.name === 'vitrine:error');
    assert.ok(error, JSON.stringify(events));
    const { message } = error.detail;
    for (const needed of [`${origin}/test/trained/embedder.onnx`, sha256(heads[0]), sha256(heads[1]), 'rebuild the index']) {
      assert.ok(message.includes(needed), `'${needed}' is not in: ${message}`);
    }
    await context.close();
  } finally {
    copyFileSync(heads[0], file);
  }
});
