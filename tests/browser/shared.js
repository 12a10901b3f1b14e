// What the browser tests share: paths, the check for what they need, and how a look is read.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { relaxedSimd } from 'wasm-feature-detect';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = path.join(root, 'dist');
export const artifacts = path.join(root, 'target', 'browser-test');
export const photo = (name) => path.join(root, 'tests', 'photos', name);
/** A small file committed under tests/fixtures/ (its README says how each was made). */
export const fixture = (name) => path.join(root, 'tests', 'fixtures', name);

/** Throws for the first missing [file, what to do] pair. */
export function requireFiles(pairs) {
  for (const [file, fix] of pairs) {
    if (!existsSync(file)) throw new Error(`${file} is missing: ${fix}`);
  }
}

/** The file name (without hash) of each of the page's wasm builds (scripts/build-web.sh). */
export const WASM_FILES = { relaxed: 'vitrine_relaxed_bg', simd128: 'vitrine_bg' };

/**
 * The build the page must pick in this browser, asked of the browser itself with the feature test
 * the page uses (www/wasm.js: wasm-feature-detect's `relaxedSimd`, a self-contained function that
 * validates a tiny relaxed-simd module): "relaxed" where it validates, else "simd128". `run(fn)`
 * evaluates a function in the page (playwright's or puppeteer's `evaluate`, WebDriver's
 * `executeScript`). So no test depends on which release of an engine has relaxed-simd.
 */
export async function validatedBuild(run) {
  return (await run(relaxedSimd)) ? 'relaxed' : 'simd128';
}

/** The rows of a look as the shopper sees them (the demo's, or the widget's in its shadow root):
 * wear, product links and titles. Run in the page. */
/**
 * Runs in the page (self-contained, for page.evaluate / session.run): the photo `bytes` (an
 * array of byte values) as this engine decodes them, re-encoded as a base64 PNG (which the wasm
 * decodes itself); null where the engine has no decoder for them.
 */
export const BROWSER_PNG = async (bytes) => {
  let img;
  try {
    img = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
  } catch {
    return null;
  }
  const canvas = new OffscreenCanvas(img.width, img.height);
  canvas.getContext('2d').drawImage(img, 0, 0);
  const data = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(binary);
};

export const ROWS = (inWidget) => {
  const scope = inWidget ? document.querySelector('vitrine-look').shadowRoot : document;
  return [...scope.querySelectorAll('.vitrine-row')].map((s) => ({
    wear: s.dataset.wear,
    links: [...s.querySelectorAll('.vitrine-card a')].map((a) => a.href),
    titles: [...s.querySelectorAll('.vitrine-title')].map((t) => t.textContent),
  }));
};

/**
 * Runs in the page (self-contained): for each product card image of the demo's rows (or with
 * `inWidget` the widget's), the share of its pixels that show a colour (RGB channels more than
 * 48 apart: not grey, white or black), read from the image drawn at 32 x 32.
 */
export const CARD_COLOURS = async (inWidget) => {
  const scope = inWidget ? document.querySelector('vitrine-look').shadowRoot : document;
  const images = [...scope.querySelectorAll('.vitrine-card img')];
  return Promise.all(images.map(async (img) => {
    img.loading = 'eager'; // the cards load lazily; these are read now
    await img.decode();
    const context = new OffscreenCanvas(32, 32).getContext('2d');
    context.drawImage(img, 0, 0, 32, 32);
    const { data } = context.getImageData(0, 0, 32, 32);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 48) coloured += 1;
    }
    return coloured / (32 * 32);
  }));
};

export function assertThreeRowsOfFive(found) {
  assert.deepEqual(found.map((r) => r.wear), ['top', 'bottom', 'foot']);
  for (const row of found) {
    assert.equal(row.links.length, 5, `${row.wear}: 5 product links`);
    for (const link of row.links) assert.match(link, /^https?:\/\//);
    for (const title of row.titles) assert.ok(title.length > 0);
  }
}
