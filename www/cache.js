// Where the worker's big files come from: the Cache API (one cache, `vitrine-v1`), so that a
// second visit works offline, with plain fetch as the fallback wherever the cache cannot be
// opened (e.g. an opaque origin) or written (quota). What to fetch, and how to read it, is the
// worker's (worker.js).

const CACHE = 'vitrine-v1';

/** The cache, or null where this context has none. */
async function openCache() {
  try {
    return self.caches ? await self.caches.open(CACHE) : null;
  } catch {
    return null; // e.g. an opaque origin: plain fetch it is
  }
}

/** Throws a "notCached" error unless every one of `urls` is in the cache. */
export async function requireCached(urls) {
  const cache = await openCache();
  for (const url of urls) {
    if (!cache || !(await cache.match(url))) {
      throw Object.assign(new Error(`${url} is not in this browser's cache: load without onlyIfCached`), { notCached: true });
    }
  }
}

/** The cached bytes of `url`; throws a "notCached" error when it is not in the cache. */
export async function cachedBytes(url) {
  const cache = await openCache();
  const hit = cache && (await cache.match(url));
  if (!hit) throw Object.assign(new Error(`${url} is not in this browser's cache: load without onlyIfCached`), { notCached: true });
  return new Uint8Array(await hit.arrayBuffer());
}

/** Deletes the cached files for which `stale(url)` (a URL object) is true. Failing is harmless:
 * only the space is not reclaimed. */
export async function pruneCache(stale) {
  const cache = await openCache();
  if (!cache) return;
  try {
    for (const request of await cache.keys()) {
      if (stale(new URL(request.url))) await cache.delete(request);
    }
  } catch { /* the look works; only the space is not reclaimed */ }
}

/** `url` as a Response: `policy` 'cache-first' takes a cached copy when there is one; otherwise
 * the network, falling back to the cache when offline. A network response is copied into the
 * cache (`stored` settles when it is in, or could not be). `file` names it in errors. */
export async function fetchResponse(url, file, policy) {
  const cache = await openCache();
  if (cache && policy === 'cache-first') {
    const hit = await cache.match(url);
    if (hit) return { response: hit, cached: true };
  }
  let response;
  try {
    response = await fetch(url);
    if (!response.ok) throw new Error(`${file}: HTTP ${response.status} from ${url}`);
  } catch (error) {
    const hit = cache && (await cache.match(url));
    if (hit) return { response: hit, cached: true };
    throw new Error(`${file} could not be loaded from ${url} (${error.message}); check the URL and that you are online`);
  }
  // Quota or opaque storage: the look works, only offline use is lost.
  const stored = cache ? cache.put(url, response.clone()).catch(() => {}) : Promise.resolve();
  return { response, cached: false, stored };
}
