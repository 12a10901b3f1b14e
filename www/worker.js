// A module worker of vitrine. Role "look" (the first one) owns a Vitrine: it fetches the models
// and the catalog index (with progress per file, through the Cache API so a second visit works
// offline: cache.js), then makes looks on request, whole or in steps. Role "matcher" (a second
// worker, on machines with more than one core) owns only the embedder and the index: it matches
// some of a look's garment crops on its own decode of the same photo while the first worker
// matches the others. The page never blocks on wasm, and the photo only travels page -> workers.
// With `onlyIfCached` a load downloads nothing it does not already hold: it fails ("notCached")
// unless the wasm, the models and the index are all in the cache from an earlier visit.
// A photo in a format the wasm has no decoder for (AVIF; HEIC in Safari) is decoded by the
// browser here, and its pixels go to the wasm instead of its bytes.
import init, { Matcher, VitrineLoader, decodesPhoto, indexEmbedder, modelFiles, workingSide } from '../pkg/vitrine.js';
import { cachedBytes, fetchResponse, pruneCache, requireCached } from './cache.js';
import { wasmBuild, wasmFiles } from './wasm.js';

let vitrine = null;
let matcher = null;

const steps = {
  // The look worker.
  locate: ({ photo, name, audience }) => withPhoto(
    photo,
    (bytes) => loaded(vitrine).locate(bytes, name, audience || ''),
    ({ data, width, height }) => loaded(vitrine).locatePixels(data, width, height, name, audience || ''),
  ),
  finish: ({ matched }) => loaded(vitrine).finish(matched),
  // Either worker: `crops` is [{ i, crop }], the reply [{ i, matched }].
  match: ({ crops, audience }) => crops.map(({ i, crop }) => ({
    i,
    matched: vitrine ? vitrine.matchCrop(crop) : loaded(matcher).matchCrop(crop, audience || ''),
  })),
  // The matcher worker.
  photo: ({ photo, name }) => withPhoto(
    photo,
    (bytes) => loaded(matcher).setPhoto(bytes, name),
    ({ data, width, height }) => loaded(matcher).setPixels(data, width, height, name),
  ),
};

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      const started = performance.now();
      const { memory, build, wasmMs } = await load(data);
      // What this worker holds: its wasm memory, which only grows (the peak of the load).
      self.postMessage({ type: 'ready', ms: performance.now() - started, wasmMs, wasmBytes: memory.buffer.byteLength, build });
    } else if (steps[data.type]) {
      self.postMessage({ type: 'result', id: data.id, value: (await steps[data.type](data)) ?? null });
    }
  } catch (error) {
    // A trap (e.g. out of memory on a very large photo) leaves this wasm instance unusable:
    // the client replaces the workers.
    self.postMessage({
      type: 'error', id: data.id, message: String(error && error.message || error),
      notCached: Boolean(error?.notCached), trapped: error instanceof WebAssembly.RuntimeError,
    });
  }
};

function loaded(it) {
  if (!it) throw new Error('vitrine is not loaded yet: wait for "ready" before sending photos');
  return it;
}

/** `fromBytes(bytes)` when the wasm decodes the photo's format; else, when the browser decodes
 * it, `fromPixels` on its pixels. Where the browser cannot either (HEIC outside Safari),
 * `fromBytes` runs all the same: its error names the format and says how to get a JPEG. */
async function withPhoto(photo, fromBytes, fromPixels) {
  const bytes = new Uint8Array(photo);
  if (decodesPhoto(bytes)) return fromBytes(bytes);
  const pixels = await browserDecode(photo);
  return pixels ? fromPixels(pixels) : fromBytes(bytes);
}

/** The photo decoded by the browser: { data (RGBA), width, height }, upright (EXIF, or HEIF's
 * rotation, applied) and scaled to the wasm's working size, or null where the browser cannot. */
async function browserDecode(photo) {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') return null;
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([photo]), { imageOrientation: 'from-image' });
  } catch {
    return null; // not a format this browser decodes (or not an image at all)
  }
  try {
    // Scaled here, not in the wasm: its memory only grows, and a 48 MP photo's RGBA is 192 MB.
    const scale = Math.min(1, workingSide() / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, width, height);
    return { data: context.getImageData(0, 0, width, height).data, width, height };
  } finally {
    bitmap.close();
  }
}

async function load({ modelsUrl, indexUrl, lite, role, wasm, onlyIfCached }) {
  const started = performance.now();
  const { build, url } = await wasmBuild(wasm);
  if (onlyIfCached) await requireCached([url]);
  const { memory } = await init({ module_or_path: await fetchWasm(url) });
  const wasmMs = performance.now() - started; // fetch (or cache) and compile
  const files = modelFiles(Boolean(lite));
  // The embedder is the one the index names (embedderOf), known once index.bin is in.
  const networks = role === 'matcher' ? [] : files.filter((f) => f.role !== 'embedder');
  const shippedEmbedder = files.find((f) => f.role === 'embedder');
  const modelUrl = (f) => new URL(`${f.file}?sha256=${f.sha256}`, modelsUrl).href;
  const indexFiles = ['index.bin', 'products.json'].map((f) => new URL(f, indexUrl).href);
  const embedderOf = (index) => embedderFile(index, indexUrl, shippedEmbedder, modelUrl);
  // The index is still fetched afresh below (the HTTP cache revalidates it): only a copy of
  // the catalog this browser has seen says the shopper has used vitrine here before. The
  // embedder it needs is the one its cached copy names (a copy of an older index format names
  // none this release reads: the fresh index is checked below).
  if (onlyIfCached) {
    await requireCached([...networks.map(modelUrl), ...indexFiles]);
    const cachedIndex = await cachedBytes(indexFiles[0]);
    let named = null;
    try {
      named = embedderOf(cachedIndex).url;
    } catch { /* an older format */ }
    if (named) await requireCached([named]);
  }
  // Each model loads into tract (0.2-1 s) as soon as its download ends, while the others still
  // arrive: on 8-20 Mbit/s links the demo is ready 11-19% sooner (BENCHMARKS.md "Loading"),
  // though a download read here pauses while a load holds this thread.
  const loader = role === 'matcher' ? null : new VitrineLoader();
  // Models are named by content (their sha256 from models/MANIFEST, or the one the index
  // records of its own embedder): a cached copy is used as long as this build (or this index)
  // expects exactly that file. The index may be rebuilt under the same name, so it is fetched
  // afresh and the cache is only the offline fallback.
  const indexBytes = fetchBytes(indexFiles[0], 'index.bin', 'network-first');
  const embedder = indexBytes.then(async (index) => {
    const e = embedderOf(index);
    if (onlyIfCached) await requireCached([e.url]); // a rebuilt index may name another
    const bytes = await fetchBytes(e.url, e.file, 'cache-first');
    if (loader) {
      if (e.trained) loader.addTrained(e.name, bytes, e.sha256);
      else loader.add(e.file, bytes);
    }
    return { ...e, bytes };
  });
  const [index, products, ownEmbedder] = await Promise.all([
    indexBytes,
    fetchBytes(indexFiles[1], 'products.json', 'network-first'),
    embedder,
    ...networks.map((f) => fetchBytes(modelUrl(f), f.file, 'cache-first').then((bytes) => loader.add(f.file, bytes))),
  ]);
  if (role === 'matcher') {
    matcher = new Matcher(ownEmbedder.bytes, indexUrl, index, products);
  } else {
    vitrine = loader.finish(indexUrl, index, products);
    await pruneStale(modelsUrl, ownEmbedder.trained ? ownEmbedder.url : null);
  }
  return { memory, build, wasmMs };
}

/** The embedder the index (its bytes) was built with: `{ url, file, sha256, trained, name }`, the
 * shipped one from the models folder, or the index's own (a retailer's, `vitrine index build
 * --embedder`) from beside the index; both URLs carry the sha256, so that a cached copy is this
 * very file. The wasm checks the bytes against it. */
function embedderFile(index, indexUrl, shipped, modelUrl) {
  // Only the header is read: 512 bytes hold it.
  const { file, sha256 } = indexEmbedder(indexUrl, index.subarray(0, 512));
  if (file === null) return { url: modelUrl(shipped), file: shipped.file, sha256: shipped.sha256, trained: false };
  const name = new URL(file, indexUrl).href; // as errors name it
  return { url: `${name}?sha256=${sha256}`, name, file, sha256, trained: true };
}

/** Drops what earlier releases left in the cache: wasm modules and models this release no
 * longer names (each is several MB). Either landmark variant and either wasm build is kept. An
 * index's own embedder (`trained`, its URL) is kept, and an earlier one at its place dropped;
 * those beside other indexes are theirs. */
function pruneStale(modelsUrl, trained) {
  const wasms = new Set(wasmFiles());
  const shipped = [...modelFiles(false), ...modelFiles(true)];
  const names = new Set(shipped.map((f) => f.file));
  const models = new Set(shipped.map((f) => `${f.file}?sha256=${f.sha256}`));
  const own = trained && new URL(trained);
  return pruneCache((url) => {
    const name = url.pathname.split('/').pop();
    if (name.endsWith('.wasm')) return !wasms.has(name);
    if (!name.endsWith('.onnx')) return false;
    if (own && url.pathname === own.pathname) return url.search !== own.search;
    if (!names.has(name) && !url.href.startsWith(modelsUrl)) return false;
    return !models.has(name + url.search);
  });
}

/** The wasm module as a Response (compiled while it streams in). Its name carries its content
 * hash, so a cached copy is this very build: cache-first, as the models. */
async function fetchWasm(url) {
  // Its copy for the cache is not awaited: it is read while the module compiles from the original.
  return (await fetchResponse(url, "vitrine's wasm", 'cache-first')).response;
}

async function fetchBytes(url, file, policy) {
  const { response, cached, stored } = await fetchResponse(url, file, policy);
  const bytes = await readWithProgress(response, file, cached);
  await stored;
  return bytes;
}

async function readWithProgress(response, file, cached) {
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    self.postMessage({ type: 'progress', file, loaded, total, cached });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  self.postMessage({ type: 'progress', file, loaded, total: loaded, cached });
  return bytes;
}
