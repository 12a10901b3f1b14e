// The demo page's service worker: with it a second visit works offline. It keeps the page's
// own files (precached at install: SHELL is filled in by webpack.config.js) and serves them
// network-first. The wasm, the models and the index are not its business: the vitrine worker
// caches them itself (so the widget, which registers no service worker, gets the same, and only
// the one of the two wasm builds this browser runs is downloaded).
const CACHE = 'vitrine-shell-v1';
const SHELL = self.__SHELL__;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (/\.(onnx|bin|wasm)$/.test(url.pathname) || url.pathname.endsWith('/products.json')) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(event.request, response.clone());
      return response;
    } catch (error) {
      const hit = await cache.match(event.request, { ignoreSearch: true });
      if (hit) return hit;
      throw error;
    }
  })());
});
