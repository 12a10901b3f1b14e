// The module worker that owns the one Vitrine: it fetches the models and the catalog index
// (with progress per file, through the Cache API so a second visit works offline), then makes
// looks on request. The page never blocks on wasm, and the photo only travels page -> worker.
import init, { Vitrine, modelFiles } from '../pkg/vitrine.js';

const CACHE = 'vitrine-v1';
let vitrine = null;

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      const started = performance.now();
      vitrine = await load(data);
      self.postMessage({ type: 'ready', ms: performance.now() - started });
    } else if (data.type === 'recommend') {
      if (!vitrine) throw new Error('vitrine is not loaded yet: wait for "ready" before sending photos');
      const look = vitrine.recommend(new Uint8Array(data.photo), data.name, data.audience || '');
      self.postMessage({ type: 'look', id: data.id, look });
    }
  } catch (error) {
    self.postMessage({ type: 'error', id: data.id, message: String(error && error.message || error) });
  }
};

async function load({ modelsUrl, indexUrl, lite }) {
  await init();
  const files = modelFiles(Boolean(lite));
  // Models are named by content (their sha256 from models/MANIFEST): a cached copy is used as
  // long as this build expects exactly that file. The index may be rebuilt under the same
  // name, so it is fetched afresh and the cache is only the offline fallback.
  const models = await Promise.all(files.map((f) =>
    fetchBytes(new URL(`${f.file}?sha256=${f.sha256}`, modelsUrl).href, f.file, 'cache-first')));
  const [index, products] = await Promise.all([
    fetchBytes(new URL('index.bin', indexUrl).href, 'index.bin', 'network-first'),
    fetchBytes(new URL('products.json', indexUrl).href, 'products.json', 'network-first'),
  ]);
  const [detector, landmarks, ssd, embedder] = models;
  return new Vitrine(detector, files[1].file, landmarks, ssd, embedder, indexUrl, index, products);
}

async function openCache() {
  try {
    return self.caches ? await self.caches.open(CACHE) : null;
  } catch {
    return null; // e.g. an opaque origin: plain fetch it is
  }
}

async function fetchBytes(url, file, policy) {
  const cache = await openCache();
  if (cache && policy === 'cache-first') {
    const hit = await cache.match(url);
    if (hit) return readWithProgress(hit, file, true);
  }
  let response;
  try {
    response = await fetch(url);
    if (!response.ok) throw new Error(`${file}: HTTP ${response.status} from ${url}`);
  } catch (error) {
    const hit = cache && (await cache.match(url));
    if (hit) return readWithProgress(hit, file, true);
    throw new Error(`${file} could not be loaded from ${url} (${error.message}); check the URL and that you are online`);
  }
  const bytes = await readWithProgress(response, file, false);
  if (cache) {
    try {
      await cache.put(url, new Response(bytes, { headers: response.headers }));
    } catch { /* quota or opaque storage: the look works, only offline use is lost */ }
  }
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
