// A static file server for dist/ on localhost (the demo and the browser tests). Serves .wasm as
// application/wasm so browsers can compile it while it downloads, the precompressed copies
// scripts/compress.js writes (.br, else .gz) to browsers that accept them, and ETags (a 304 for
// a copy the browser already has).
import http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png',
  '.webp': 'image/webp', '.svg': 'image/svg+xml',
};

// Preferred first.
const ENCODINGS = [['br', '.br'], ['gzip', '.gz']];

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The copy of `file` to send for an Accept-Encoding of `accepted`: `{ body, encoding }`
 * (`encoding` undefined: the file itself). */
export function precompressed(file, accepted) {
  const found = ENCODINGS.find(([name, ext]) => accepted.includes(name) && isFile(file + ext));
  return found ? { body: file + found[1], encoding: found[0] } : { body: file, encoding: undefined };
}

/** Serves `dir` on 127.0.0.1:`port` (0: any free port); resolves with the server. `link`
 * ({ bytesPerSecond, latencyMs }) makes it a slow network for benchmarks: every response waits
 * `latencyMs`, then all of them share `bytesPerSecond`, a chunk at a time. */
export function serve(dir, port = 0, link = null) {
  const base = path.resolve(dir);
  const send = link ? throttled(link) : (file, res) => createReadStream(file).pipe(res);
  const server = http.createServer((req, res) => {
    let file;
    try {
      const { pathname } = new URL(req.url, 'http://localhost');
      file = path.join(base, decodeURIComponent(pathname));
      if (!file.startsWith(base)) throw new Error('outside');
      if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
      const type = TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
      const { body, encoding } = precompressed(file, String(req.headers['accept-encoding'] || ''));
      const { size, mtimeMs } = statSync(body);
      // As static hosts do: the browser revalidates its copy and an unchanged file is a 304.
      const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`;
      const headers = { 'content-type': type, 'cache-control': 'no-cache', etag, vary: 'accept-encoding' };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        setTimeout(() => res.end(), link?.latencyMs || 0);
        return;
      }
      res.writeHead(200, {
        ...headers,
        'content-length': size,
        ...(encoding ? { 'content-encoding': encoding } : {}),
      });
      send(body, res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function throttled({ bytesPerSecond, latencyMs = 0 }) {
  let free = 0; // when the shared link can take the next chunk (ms, performance.now())
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  const send = async (file, res) => {
    await sleep(latencyMs);
    for await (const chunk of createReadStream(file, { highWaterMark: 16 * 1024 })) {
      free = Math.max(free, performance.now()) + (chunk.length / bytesPerSecond) * 1000;
      await sleep(free - performance.now());
      if (res.destroyed) return;
      if (!res.write(chunk)) await writable(res);
    }
    res.end();
  };
  return (file, res) => send(file, res).catch(() => res.destroy());
}

/** Resolves once `res` drains or closes. */
function writable(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir = 'dist', port = '8080'] = process.argv.slice(2);
  const server = await serve(dir, Number(port));
  console.log(`vitrine demo: http://127.0.0.1:${server.address().port}/  (widget: /pdp.html; Ctrl+C stops)`);
}
