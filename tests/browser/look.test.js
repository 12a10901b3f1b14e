// The demo page and the <vitrine-look> widget in a real browser: Debian's chromium driven by
// playwright-core, the real wasm build, models and default catalog served from dist/ (built by
// scripts/build-web.sh), and the real test photos (tests/fetch-photos.sh). Screenshots go to
// target/browser-test/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { launchChromium, NEEDS } from '../../scripts/browsers.js';
import { serve } from '../../scripts/serve.js';
import { artifacts, assertThreeRowsOfFive, BROWSER_PNG, CARD_COLOURS, dist, fixture, photo, requireFiles, ROWS, validatedBuild, WASM_FILES } from './shared.js';

const LOOK_TIMEOUT = 120_000;

requireFiles([
  [path.join(dist, 'demo.js'), 'build it with scripts/build-web.sh'],
  [photo('messi5.jpg'), 'fetch them with tests/fetch-photos.sh'],
  ...NEEDS.chromium,
]);

let server;
let origin;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await serve(dist);
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh browser profile whose every request (page and workers) is recorded. */
async function open(url, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const requests = [];
  context.on('request', (request) => requests.push(request));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${origin}${url}`);
  return { context, page, requests, errors };
}

async function demoReady(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: LOOK_TIMEOUT });
}

/** Picks a file in the demo and waits until the page has shown its look or its error. */
async function pick(page, files) {
  const looks = await page.evaluate(() => Number(document.body.dataset.looks || 0));
  await page.locator('#file').setInputFiles(files);
  await page.waitForFunction((n) => Number(document.body.dataset.looks || 0) > n, looks, { timeout: LOOK_TIMEOUT });
}

/** The demo's rows, or with `widget` the <vitrine-look>'s. */
const rows = (page, widget = false) => page.evaluate(ROWS, widget);

/** The wasm builds (names without hash) that these requests fetched. */
function wasmsFetched(requests) {
  const names = requests.map((r) => new URL(r.url()).pathname.match(/\/(vitrine_[a-z_]+)\.[0-9a-f]+\.wasm$/)?.[1]);
  return [...new Set(names.filter(Boolean))];
}

/** Nothing left the page's origin, and no request carried any part of a photo. */
function assertPrivate(requests, photoFiles) {
  const slices = photoFiles.map((f) => {
    const bytes = readFileSync(f);
    return bytes.subarray(bytes.length >> 1, (bytes.length >> 1) + 64);
  });
  assert.ok(requests.length > 0);
  for (const request of requests) {
    const url = new URL(request.url());
    const from = url.protocol === 'blob:' ? new URL(url.pathname).origin : url.origin;
    if (url.protocol !== 'data:') assert.equal(from, origin, `request to ${request.url()} leaves the page's origin`);
    const body = request.postDataBuffer();
    if (body) for (const slice of slices) assert.ok(!body.includes(slice), `${request.url()} carries the photo`);
  }
}

test('demo: a full shot gives 3 rows of 5 products; other photos give their verdict or error; nothing leaves the page', async () => {
  const { context, page, requests, errors } = await open('/');
  await demoReady(page);

  await pick(page, photo('messi5.jpg'));
  assert.equal(await page.locator('#verdict').textContent(), 'Full shot.');
  assertThreeRowsOfFive(await rows(page));
  assert.equal(await page.locator('.vitrine-box').count(), 3);
  assert.match(await page.locator('#timings').textContent(), /^decode \d+ ms · ssd \d+ ms · .* · total \d+ ms$/);
  // The default catalog is a colour one: most cards show colour (a grey catalog's show none).
  const colours = await page.evaluate(CARD_COLOURS, false);
  assert.equal(colours.length, 15);
  assert.ok(colours.filter((c) => c >= 0.1).length >= 8, `cards in colour: ${colours.map((c) => c.toFixed(2)).join(' ')}`);
  await page.screenshot({ path: path.join(artifacts, 'demo.png'), fullPage: true });
  // The server sent the precompressed copies (scripts/compress.js) and the page ran on them.
  for (const file of [/\.wasm$/, /vitrine_embedder\.onnx$/, /index\.bin$/]) {
    const request = requests.find((r) => file.test(new URL(r.url()).pathname));
    assert.ok(request, `the page fetched ${file}`);
    const encoding = (await request.response())?.headers()['content-encoding'];
    assert.ok(['br', 'gzip'].includes(encoding), `${request.url()} came as ${encoding}, not compressed`);
  }

  // The page ran the build this Chromium validates (relaxed-simd since Chromium 114) and fetched
  // no other.
  const build = await validatedBuild((fn) => page.evaluate(fn));
  assert.equal(await page.evaluate(() => document.body.dataset.wasm), build);
  assert.deepEqual(wasmsFetched(requests), [WASM_FILES[build]]);

  await pick(page, photo('zidane.jpg'));
  assert.match(await page.locator('#verdict').textContent(), /^Not a full shot: 2 people; .*only the upper body is visible\.$/);

  const jpeg = readFileSync(photo('bus.jpg'));
  await pick(page, { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: jpeg.subarray(0, jpeg.length / 3) });
  assert.equal(await page.locator('#error').isVisible(), true);
  assert.match(await page.locator('#error').textContent(), /broken\.jpg/);

  await pick(page, photo('bus.jpg'));
  assert.equal(await page.locator('#error').isHidden(), true, 'the error goes away with the next photo');
  assert.match(await page.locator('#verdict').textContent(), /^Full shot \(4 people: the look is the largest, most central one's\)\.$/);
  assertThreeRowsOfFive(await rows(page));

  assert.deepEqual(errors, []);
  assertPrivate(requests, ['messi5.jpg', 'zidane.jpg', 'bus.jpg'].map(photo));
  assert.ok(!requests.some((r) => r.method() !== 'GET'), 'the page only ever GETs');
  await context.close();
});

test('demo: a photo only the browser decodes (AVIF) makes the look of its pixels; a HEIC this browser cannot decode says how to get a JPEG', async () => {
  // Issue 21, item 6: HEIC was "not an image" everywhere, and the browser's own decoders unused.
  const { context, page, errors } = await open('/');
  await demoReady(page);
  const avif = readFileSync(photo('messi5.avif'));
  // The AVIF's pixels as this browser decodes them, as a PNG (which the wasm decodes itself).
  const png = await page.evaluate(BROWSER_PNG, [...avif]);
  assert.notEqual(png, null, 'Chromium decodes AVIF');
  const look = async () => ({
    verdict: await page.locator('#verdict').textContent(),
    rows: await rows(page),
    boxes: await page.locator('.vitrine-box').evaluateAll((boxes) => boxes.map((b) => b.getAttribute('style'))),
  });
  await pick(page, { name: 'messi5.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  const expected = await look();
  assert.equal(expected.verdict, 'Full shot.');

  await pick(page, { name: 'messi5.avif', mimeType: 'image/avif', buffer: avif });
  assert.equal(await page.locator('#error').isHidden(), true, await page.locator('#error').textContent());
  const got = await look();
  assertThreeRowsOfFive(got.rows);
  assert.equal(got.boxes.length, 3);
  assert.deepEqual(got, expected);

  // Chromium has no HEIC decoder: the wasm's message reaches the shopper.
  await pick(page, { name: 'IMG_0001.heic', mimeType: 'image/heic', buffer: readFileSync(fixture('gradient.heic')) });
  assert.equal(await page.locator('#error').isVisible(), true);
  assert.equal(
    await page.locator('#error').textContent(),
    "IMG_0001.heic is a HEIC/HEIF photo (the iPhone's default), which vitrine cannot decode: export it as JPEG "
      + '(on iPhone: Settings > Camera > Formats > Most Compatible) and try again',
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('demo: the verdict and the garment boxes show while the products are still being found; a photo picked meanwhile is next', async () => {
  const { context, page, errors } = await open('/');
  await demoReady(page);
  await page.evaluate(() => {
    window.seen = [];
    const state = () => ({
      boxes: document.querySelectorAll('.vitrine-box').length,
      cards: document.querySelectorAll('#rows .vitrine-card').length,
      verdict: document.getElementById('verdict').textContent,
    });
    new MutationObserver(() => {
      const now = state();
      if (JSON.stringify(now) !== JSON.stringify(window.seen.at(-1))) window.seen.push(now);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await pick(page, photo('messi5.jpg'));
  const seen = (await page.evaluate(() => window.seen)).filter((s) => s.boxes > 0);
  assert.deepEqual(seen, [
    { boxes: 3, cards: 0, verdict: 'Full shot.' },
    { boxes: 3, cards: 15, verdict: 'Full shot.' },
  ]);
  assert.equal(await page.evaluate(() => document.body.dataset.previews), '1');

  // A photo picked while a look is being made is looked at after it, not dropped.
  await page.locator('#file').setInputFiles(photo('bus.jpg'));
  await page.locator('#file').setInputFiles(photo('zidane.jpg'));
  assert.match(await page.locator('#status').textContent(), /zidane\.jpg next/);
  await page.waitForFunction(() => Number(document.body.dataset.looks) === 3, null, { timeout: LOOK_TIMEOUT });
  assert.match(await page.locator('#verdict').textContent(), /^Not a full shot: 2 people; .*only the upper body is visible\.$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('demo: the build for browsers without relaxed-simd (?wasm=simd128) makes the same look', async () => {
  const looks = [];
  for (const url of ['/', '/?wasm=simd128']) {
    const { context, page, requests, errors } = await open(url);
    await demoReady(page);
    await pick(page, photo('messi5.jpg'));
    looks.push({
      build: await page.evaluate(() => document.body.dataset.wasm),
      verdict: await page.locator('#verdict').textContent(),
      rows: await rows(page),
      wasms: wasmsFetched(requests),
      validated: await validatedBuild((fn) => page.evaluate(fn)),
    });
    assert.deepEqual(errors, []);
    await context.close();
  }
  const [picked, simd128] = looks;
  const build = picked.validated;
  assert.deepEqual([picked.build, simd128.build], [build, 'simd128']);
  assert.deepEqual([picked.wasms, simd128.wasms], [[WASM_FILES[build]], [WASM_FILES.simd128]]);
  assert.equal(simd128.verdict, 'Full shot.');
  assertThreeRowsOfFive(simd128.rows);
  assert.deepEqual(simd128.rows, picked.rows);
});

test('demo: the keyboard alone reaches a sample look; the page fits a phone; the webcam works', async () => {
  const { context, page, requests } = await open('/', { width: 390, height: 844 });
  await demoReady(page);
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.classList.contains('sample'))) break;
  }
  assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /^Sample look/);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#result:not([hidden])', { timeout: LOOK_TIMEOUT });
  assert.equal(await page.locator('#verdict').textContent(), 'Full shot.');
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(widths[0] <= widths[1], `no sideways scrolling at phone width (page ${widths[0]} px, window ${widths[1]} px)`);
  await page.screenshot({ path: path.join(artifacts, 'demo-phone.png'), fullPage: true });

  // Chromium's fake camera shows a test pattern: no person in it.
  await page.locator('#webcam').click();
  await page.locator('#shoot').click();
  await page.waitForFunction(() => document.getElementById('verdict').textContent.includes('no person'), null, { timeout: LOOK_TIMEOUT });
  assertPrivate(requests, [photo('messi5.jpg')]);
  await context.close();
});

test('demo: a photo dropped on the page or pasted into it is looked at', async () => {
  const { context, page } = await open('/');
  await demoReady(page);
  const bytes = [...readFileSync(photo('zidane.jpg'))];
  for (const how of ['drop', 'paste']) {
    const looks = await page.evaluate(() => Number(document.body.dataset.looks || 0));
    await page.evaluate(({ how, bytes }) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], `${how}.jpg`, { type: 'image/jpeg' }));
      const event = how === 'drop'
        ? new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true })
        : new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
      document.body.dispatchEvent(event);
    }, { how, bytes });
    await page.waitForFunction((n) => Number(document.body.dataset.looks || 0) > n, looks, { timeout: LOOK_TIMEOUT });
    assert.match(await page.locator('#verdict').textContent(), /^Not a full shot/, how);
    assert.equal(await page.locator('.vitrine-row').count(), 1, `${how}: only the top is in the photo`);
  }
  await context.close();
});

test('demo: on a device short of memory, a photo too large for it gives a readable error and the next photo works', async () => {
  // V8 caps each wasm memory at 160 MB here, as a phone's browser might: the look worker holds
  // ~96 MB once loaded, a 32-megapixel photo needs ~95 MB more to decode, and the allocation
  // failure traps the wasm (a real trap, which left the worker failing every later look).
  const small = await launchChromium([`--js-flags=--wasm-max-mem-pages=${160 * 16}`]);
  try {
    const page = await small.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error));
    await page.goto(`${origin}/`);
    await demoReady(page);
    await pick(page, photo('messi5.jpg'));
    assert.equal(await page.locator('#verdict').textContent(), 'Full shot.');

    // messi5.jpg drawn 13 times larger (7124 x 4446) and encoded by the browser.
    const big = await page.evaluate(async () => {
      const img = await createImageBitmap(await (await fetch('samples/messi5.jpg')).blob());
      const canvas = new OffscreenCanvas(img.width * 13, img.height * 13);
      canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.6 })).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    });
    await pick(page, { name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(big, 'base64') });
    assert.equal(await page.locator('#error').isVisible(), true);
    assert.match(await page.locator('#error').textContent(), /^vitrine stopped while looking at huge\.jpg \(.+\), most likely out of memory: try a smaller photo\./);

    await pick(page, photo('messi5.jpg'));
    assert.equal(await page.locator('#error').isHidden(), true, 'the next photo works');
    assert.equal(await page.locator('#verdict').textContent(), 'Full shot.');
    assertThreeRowsOfFive(await rows(page));
    assert.deepEqual(errors, []);
  } finally {
    await small.close();
  }
});

test('demo: a second visit works offline (page, models and index from the caches)', async () => {
  const { context, page } = await open('/');
  await demoReady(page);
  await page.evaluate(() => Promise.race([
    navigator.serviceWorker.ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error('the demo registered no service worker')), 30_000)),
  ]));
  await context.setOffline(true);
  await page.reload();
  await demoReady(page);
  await pick(page, photo('messi5.jpg'));
  assert.equal(await page.locator('#verdict').textContent(), 'Full shot.');
  assert.match(await page.locator('#status').textContent(), /top, bottom, foot/);
  await context.close();
});

test('demo: what an earlier release left in the cache (another wasm, another model version) is dropped', async () => {
  const { context, page } = await open('/');
  await demoReady(page);
  const stale = await page.evaluate(async () => {
    const cache = await caches.open('vitrine-v1');
    const urls = ['vitrine_bg.00000000.wasm', 'models/ssd_oidv4.onnx?sha256=0000'].map((f) => new URL(f, location.href).href);
    for (const url of urls) await cache.put(url, new Response('an earlier release'));
    return urls;
  });
  await page.reload();
  await demoReady(page);
  const kept = await page.evaluate(async () => (await (await caches.open('vitrine-v1')).keys()).map((r) => r.url));
  for (const url of stale) assert.ok(!kept.includes(url), `${url} is still cached`);
  const build = await validatedBuild((fn) => page.evaluate(fn));
  assert.equal(kept.filter((url) => new RegExp(`/${WASM_FILES[build]}\\.[0-9a-f]+\\.wasm$`).test(url)).length, 1, kept.join(', '));
  assert.equal(kept.filter((url) => /\.onnx\?sha256=[0-9a-f]{64}$/.test(url)).length, 4, kept.join(', '));
  await context.close();
});

test('widget: loads nothing heavy until pressed, then makes the look of the product gallery\'s full shot, shows the three rows in place and says so in events', async () => {
  const { context, page, requests, errors } = await open('/pdp.html');
  await page.evaluate(() => {
    window.events = [];
    for (const name of ['vitrine:ready', 'vitrine:results', 'vitrine:error']) {
      document.addEventListener(name, (e) => window.events.push({ name, detail: e.detail }));
    }
  });
  const button = page.locator('vitrine-look button');
  await button.waitFor();
  await page.waitForTimeout(500);
  const heavy = (r) => /\.(onnx|wasm|bin)(\?|$)/.test(r.url());
  assert.deepEqual(requests.filter(heavy).map((r) => r.url()), [], 'nothing heavy before the shopper asks');

  await button.press('Enter');
  await page.waitForFunction(() => window.events.some((e) => e.name !== 'vitrine:ready'), null, { timeout: LOOK_TIMEOUT });
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => e.name), ['vitrine:ready', 'vitrine:results']);
  const look = events[1].detail;
  assert.equal(look.verdict.full_shot, true);
  assert.equal(look.person.facing, 'front');
  // pdp.html's gallery: a close crop, a crop from the neck down, the half body, the full shot.
  assert.deepEqual(look.chosen, {
    index: 3, src: `${origin}/samples/messi5.jpg`, photos: 4, reason: 'the first full shot facing the camera',
  });
  assert.equal(await page.locator('vitrine-look .status').textContent(),
    'Full shot. Photo 4 of 4: the first full shot facing the camera.');
  assertThreeRowsOfFive(await rows(page, true));
  assert.ok((await page.evaluate(CARD_COLOURS, true)).filter((c) => c >= 0.1).length >= 8, 'the cards show colour');
  await page.screenshot({ path: path.join(artifacts, 'pdp.png'), fullPage: true });

  assert.deepEqual(errors, []);
  assertPrivate(requests, ['gallery-1-close.jpg', 'gallery-2-back.jpg', 'gallery-3-half.jpg', 'messi5.jpg'].map(photo));
  await context.close();
});

test('widget: a gallery with no full shot shows the best partial look, with the verdict\'s reason', async () => {
  const { context, page, errors } = await open('/pdp.html');
  await page.evaluate(() => {
    window.events = [];
    for (const name of ['vitrine:results', 'vitrine:error']) {
      document.addEventListener(name, (e) => window.events.push({ name, detail: e.detail }));
    }
    document.getElementById('look').remove();
  });
  await page.locator('vitrine-look button').click();
  await page.waitForFunction(() => window.events.length > 0, null, { timeout: LOOK_TIMEOUT });
  const [{ name, detail: look }] = await page.evaluate(() => window.events);
  assert.equal(name, 'vitrine:results');
  assert.equal(look.verdict.full_shot, false);
  // The close crop and the one from the neck down show no person; the half body shows the top.
  assert.deepEqual(look.chosen, {
    index: 2, src: `${origin}/samples/gallery-3-half.jpg`, photos: 3, reason: 'no photo is a full shot: the one with the most garments found',
  });
  assert.equal(await page.locator('vitrine-look .status').textContent(),
    `${look.verdict.message.charAt(0).toUpperCase()}${look.verdict.message.slice(1)}. Photo 3 of 3: no photo is a full shot: the one with the most garments found.`);
  assert.match(look.verdict.message, /^not a full shot: cut off at the hips$/);
  const found = await rows(page, true);
  assert.deepEqual(found.map((r) => [r.wear, r.links.length]), [['top', 5]]);
  await page.locator('vitrine-look').screenshot({ path: path.join(artifacts, 'pdp-no-full-shot.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('widget with preload: nothing until it nears the viewport, then the look in the background, again for a new look image; the press needs no network', async () => {
  const { context, page, requests, errors } = await open('/pdp.html');
  // As a retailer's page script would add it, a screen and more below the fold.
  await page.evaluate(() => {
    window.events = [];
    for (const name of ['vitrine:ready', 'vitrine:prepared', 'vitrine:results', 'vitrine:error']) {
      document.addEventListener(name, (e) => window.events.push({ name, detail: e.detail }));
    }
    const spacer = Object.assign(document.createElement('div'), { style: 'height: 3000px' });
    const widget = document.createElement('vitrine-look');
    widget.setAttribute('for', 'look');
    widget.setAttribute('index', 'index/clothing/');
    widget.setAttribute('preload', '');
    document.querySelector('vitrine-look').replaceWith(spacer, widget);
  });
  await page.waitForTimeout(1000);
  const heavy = (r) => /\.(onnx|wasm|bin)(\?|$)/.test(r.url());
  assert.deepEqual(requests.filter(heavy).map((r) => r.url()), [], 'nothing heavy while the widget is far from view');

  await page.locator('vitrine-look').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => window.events.some((e) => e.name === 'vitrine:prepared'), null, { timeout: LOOK_TIMEOUT });
  assert.equal(await page.locator('vitrine-look .status').textContent(), '', 'preloading says nothing under the button');
  const sent = requests.length;
  await context.setOffline(true);
  await page.locator('vitrine-look button').click();
  await page.waitForFunction(() => window.events.some((e) => e.name === 'vitrine:results'), null, { timeout: LOOK_TIMEOUT });
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => e.name), ['vitrine:ready', 'vitrine:prepared', 'vitrine:results']);
  assert.deepEqual(events[2].detail, events[1].detail, 'the press shows the prepared look');
  assert.equal(events[2].detail.verdict.full_shot, true);
  assertThreeRowsOfFive(await rows(page, true));
  assert.deepEqual(requests.slice(sent).map((r) => r.url()), [], 'the press sent no request');
  const shown = await page.evaluate(() => [...document.querySelector('vitrine-look').shadowRoot.querySelectorAll('.vitrine-card img')]
    .map((img) => img.complete && img.naturalWidth > 0));
  assert.deepEqual(shown, Array(15).fill(true), 'every product image shows, offline');
  await page.locator('vitrine-look').screenshot({ path: path.join(artifacts, 'pdp-preload.png') });

  // Another look image (as a product page shows another colour): prepared again once it loads.
  await context.setOffline(false);
  await page.evaluate(() => {
    window.events = [];
    document.getElementById('look').src = 'samples/zidane.jpg';
  });
  await page.waitForFunction(() => window.events.some((e) => e.name === 'vitrine:prepared'), null, { timeout: LOOK_TIMEOUT });
  await page.locator('vitrine-look button').click();
  await page.waitForFunction(() => window.events.some((e) => e.name === 'vitrine:results'), null, { timeout: LOOK_TIMEOUT });
  const again = await page.evaluate(() => window.events);
  assert.deepEqual(again.map((e) => e.name), ['vitrine:prepared', 'vitrine:results']);
  assert.deepEqual(again[1].detail, again[0].detail);
  assert.match(again[1].detail.verdict.message, /only the upper body is visible/);

  assert.deepEqual(errors, []);
  assertPrivate(requests, [photo('messi5.jpg'), photo('zidane.jpg')]);
  await context.close();
});

/** Puts a `<vitrine-look preload="cached">` in place of pdp.html's widget and records its events. */
async function cachedPreloadWidget(page) {
  await page.evaluate(() => {
    window.events = [];
    for (const name of ['vitrine:ready', 'vitrine:prepared', 'vitrine:results', 'vitrine:error']) {
      document.addEventListener(name, (e) => window.events.push({ name, detail: e.detail }));
    }
    const widget = document.createElement('vitrine-look');
    widget.setAttribute('for', 'look');
    widget.setAttribute('index', 'index/clothing/');
    widget.setAttribute('preload', 'cached');
    document.querySelector('vitrine-look').replaceWith(widget);
  });
}

const eventNamed = (name) => (page) => page.waitForFunction((n) => window.events.some((e) => e.name === n), name, { timeout: LOOK_TIMEOUT });

test('widget with preload="cached": a first visit loads nothing until the press; on the next visit the look is ready before it, from the cache', async () => {
  const { context, page, requests, errors } = await open('/pdp.html');
  const engineFiles = (r) => /\.(onnx|wasm)(\?|$)/.test(r.url());
  // The widget's worker looks in the cache, finds nothing and is ended.
  const checked = page.waitForEvent('worker', { timeout: 30_000 }).then((w) => new Promise((resolve) => w.once('close', resolve)));
  await cachedPreloadWidget(page);
  await checked;
  await page.waitForTimeout(500);
  assert.deepEqual(requests.filter(engineFiles).map((r) => r.url()), [], 'nothing of the engine is downloaded before the press');
  assert.ok(!requests.some((r) => /index\.bin/.test(r.url())), 'nor the index');
  assert.deepEqual(await page.evaluate(() => window.events), []);
  assert.equal(await page.locator('vitrine-look .status').textContent(), '');

  await page.locator('vitrine-look button').click();
  await eventNamed('vitrine:results')(page);
  assert.deepEqual((await page.evaluate(() => window.events)).map((e) => e.name), ['vitrine:ready', 'vitrine:results']);
  assertThreeRowsOfFive(await rows(page, true));

  // The next product page view: the engine comes from the cache, the look is made before the press.
  const sent = requests.length;
  await page.reload();
  await cachedPreloadWidget(page);
  await eventNamed('vitrine:prepared')(page);
  assert.deepEqual(requests.slice(sent).filter(engineFiles).map((r) => r.url()), [], 'no model or wasm downloaded again');
  await page.locator('vitrine-look button').click();
  await eventNamed('vitrine:results')(page);
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.map((e) => e.name), ['vitrine:ready', 'vitrine:prepared', 'vitrine:results']);
  assert.deepEqual(events[2].detail, events[1].detail, 'the press shows the prepared look');
  assertThreeRowsOfFive(await rows(page, true));
  assert.deepEqual(errors, []);
  await context.close();

  // A press while a first visit's widget is still looking in the cache loads the engine and shows
  // the look. The worker's script is held back 1.5 s so that the press comes during the look.
  const first = await open('/pdp.html');
  let checking;
  const workerScript = new Promise((resolve) => { checking = resolve; });
  await first.context.route(/\/\d+\.[0-9a-f]{8}\.js$/, async (route) => {
    checking();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  }, { times: 1 });
  const gaveUp = first.page.waitForEvent('worker', { timeout: 30_000 }).then((w) => new Promise((resolve) => w.once('close', () => resolve(Date.now()))));
  await cachedPreloadWidget(first.page);
  await workerScript;
  await first.page.locator('vitrine-look button').click();
  const pressed = Date.now();
  await eventNamed('vitrine:results')(first.page);
  assert.ok(await gaveUp > pressed, 'the press came before the widget gave up on the cache');
  assert.deepEqual((await first.page.evaluate(() => window.events)).map((e) => e.name), ['vitrine:ready', 'vitrine:results']);
  assertThreeRowsOfFive(await rows(first.page, true));
  assert.deepEqual(first.errors, []);
  await first.context.close();
});

test('widget: a broken look image gives a vitrine:error event and a readable message', async () => {
  const { context, page } = await open('/pdp.html');
  await page.evaluate(() => {
    window.events = [];
    document.addEventListener('vitrine:error', (e) => window.events.push(e.detail.message));
    // One look image (in a gallery, a broken photo is passed over for the others).
    document.querySelector('vitrine-look').setAttribute('for', 'look');
    document.getElementById('look').src = 'samples/samples.json';
  });
  await page.locator('vitrine-look button').click();
  await page.waitForFunction(() => window.events.length > 0, null, { timeout: LOOK_TIMEOUT });
  const [message] = await page.evaluate(() => window.events);
  assert.match(message, /samples\.json/);
  assert.match(await page.locator('vitrine-look .status').textContent(), /did not work/);
  await context.close();
});
