// The demo page and the widget in a second engine: Debian's Firefox ESR (Gecko) driven by npm
// puppeteer-core over WebDriver BiDi. Firefox has wasm simd128 but not relaxed-simd, so this is
// where the page's fallback build (www/wasm.js) runs by itself; its looks must be Chromium's,
// product for product (the same wasm code decodes and runs every model). Screenshots go to
// target/browser-test/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { serve } from '../../scripts/serve.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist');
const photos = path.join(root, 'tests', 'photos');
const artifacts = path.join(root, 'target', 'browser-test');
const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Polled on a timer: puppeteer's default (requestAnimationFrame) sat for minutes in headless
// Firefox between looks here.
const WAIT = { timeout: 180_000, polling: 200 };

for (const [file, fix] of [
  [path.join(dist, 'demo.js'), 'build it with scripts/build-web.sh'],
  [path.join(photos, 'messi5.jpg'), 'fetch them with tests/fetch-photos.sh'],
  [FIREFOX, 'install Debian firefox-esr (scripts/setup.sh --browser) or set FIREFOX'],
  [CHROMIUM, 'install Debian chromium (scripts/setup.sh --browser) or set CHROMIUM'],
]) {
  if (!existsSync(file)) throw new Error(`${file} is missing: ${fix}`);
}

let server;
let origin;
let firefox;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await serve(dist);
  origin = `http://127.0.0.1:${server.address().port}`;
  // The window's own size: puppeteer's viewport emulation needs a later Firefox than ESR 140.
  firefox = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: null, args: ['--width=1280', '--height=900'],
  });
});

after(async () => {
  await firefox?.close();
  server?.close();
});

/** A fresh Firefox profile (its own cache and service workers) on `url`. */
async function open(url) {
  const context = await firefox.createBrowserContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${origin}${url}`);
  return { context, page, errors };
}

function photo(name) {
  return path.join(photos, name);
}

const looks = (page) => page.evaluate(() => Number(document.body.dataset.looks || 0));
const text = (page, selector) => page.$eval(selector, (e) => e.textContent);

/** The rows of a look as the shopper sees them: wear, product links and titles. */
function rows(page, scope = 'body') {
  return page.$$eval(`${scope} .vitrine-row`, (sections) => sections.map((s) => ({
    wear: s.dataset.wear,
    links: [...s.querySelectorAll('.vitrine-card a')].map((a) => a.href),
    titles: [...s.querySelectorAll('.vitrine-title')].map((t) => t.textContent),
  })));
}

function assertThreeRowsOfFive(found) {
  assert.deepEqual(found.map((r) => r.wear), ['top', 'bottom', 'foot']);
  for (const row of found) assert.equal(row.links.length, 5, `${row.wear}: 5 product links`);
}

/** Picks photo files in the demo (Firefox) and waits for the look or the error. */
async function pick(page, ...files) {
  const before = await looks(page);
  const input = await page.$('#file');
  await input.uploadFile(...files);
  await page.waitForFunction((n) => Number(document.body.dataset.looks || 0) > n, WAIT, before);
}

/** What Chromium's demo shows for each photo: verdict and rows. */
async function chromiumLooks(names) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: WAIT.timeout });
    const found = {};
    for (const name of names) {
      const n = await page.evaluate(() => Number(document.body.dataset.looks || 0));
      await page.locator('#file').setInputFiles(photo(name));
      await page.waitForFunction((k) => Number(document.body.dataset.looks || 0) > k, n, { timeout: WAIT.timeout });
      found[name] = { verdict: await page.locator('#verdict').textContent(), rows: await rows(page) };
    }
    return found;
  } finally {
    await browser.close();
  }
}

test('Firefox: the demo runs the simd128 build and makes the looks Chromium makes; a broken photo gives its error', async () => {
  const { context, page, errors } = await open('/');
  await page.waitForSelector('body[data-ready="true"]', { timeout: WAIT.timeout });
  // Firefox ESR 140 validates no relaxed-simd module: the page picked the fallback by itself.
  // (If a later Firefox has relaxed-simd, this test no longer covers the fallback: open
  // /?wasm=simd128 instead.)
  assert.equal(await page.evaluate(() => document.body.dataset.wasm), 'simd128');

  const names = ['messi5.jpg', 'bus.jpg'];
  const found = {};
  for (const name of names) {
    await pick(page, photo(name));
    found[name] = { verdict: await text(page, '#verdict'), rows: await rows(page) };
    assertThreeRowsOfFive(found[name].rows);
  }
  assert.equal(found['messi5.jpg'].verdict, 'Full shot.');
  assert.equal(await page.$$eval('.vitrine-box', (boxes) => boxes.length), 3);
  assert.match(await text(page, '#timings'), /^decode \d+ ms · ssd \d+ ms · .* · total \d+ ms$/);
  await page.screenshot({ path: path.join(artifacts, 'demo-firefox.png'), fullPage: true });

  await pick(page, photo('zidane.jpg'));
  assert.match(await text(page, '#verdict'), /^Not a full shot: .*cut off at the hips\.$/);

  // A truncated JPEG, as a shopper's half-downloaded file would be.
  const broken = path.join(artifacts, 'broken.jpg');
  const jpeg = readFileSync(photo('bus.jpg'));
  writeFileSync(broken, jpeg.subarray(0, jpeg.length / 3));
  await pick(page, broken);
  assert.equal(await page.$eval('#error', (e) => !e.hidden), true);
  assert.match(await text(page, '#error'), /broken\.jpg/);
  assert.deepEqual(errors, []);
  await context.close();

  assert.deepEqual(found, await chromiumLooks(names), 'Firefox (simd128 build) and Chromium (relaxed-simd build) differ');
});

test('Firefox: the widget shows the three rows in place and says so in events', async () => {
  const { context, page, errors } = await open('/pdp.html');
  await page.evaluate(() => {
    window.events = [];
    for (const name of ['vitrine:ready', 'vitrine:results', 'vitrine:error']) {
      document.addEventListener(name, (e) => window.events.push({ name, detail: e.detail }));
    }
  });
  const button = await page.waitForSelector('vitrine-look >>> button');
  await button.click();
  await page.waitForFunction(() => window.events.some((e) => e.name !== 'vitrine:ready'), WAIT);
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => e.name), ['vitrine:ready', 'vitrine:results']);
  assert.equal(events[1].detail.verdict.full_shot, true);
  assert.match(await text(page, 'vitrine-look >>> .status'), /^Full shot\./);
  assertThreeRowsOfFive(await rows(page, 'vitrine-look >>>'));  // its rows are in its shadow root
  await page.screenshot({ path: path.join(artifacts, 'pdp-firefox.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
