// Writes brotli (.br) and gzip (.gz) copies beside what a first visit downloads from dist/ (the
// wasm, the models, the index, the page code), so any static host that serves precompressed
// files (and scripts/serve.js) sends ~14 MB instead of ~34. Brotli's best setting takes the wasm
// from 18.7 MB to ~2.6 (gzip: 4.3) but needs ~1 min; the int8 models barely compress, so they
// get a quicker setting. Skips files whose copies are newer; writes each copy atomically.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const EXTENSIONS = new Set(['.wasm', '.onnx', '.bin', '.json', '.js', '.mjs', '.css', '.html']);
// Not part of a first visit: onnxruntime-web (the benchmark page), the catalog's own product
// pages and photos, the sample looks.
const SKIP_DIRS = new Set(['ort', 'products', 'images', 'samples']);

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* files(p);
    } else if (EXTENSIONS.has(path.extname(entry.name)) && statSync(p).size > 1024) {
      yield p;
    }
  }
}

function writeAtomic(file, bytes) {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

function fresh(copy, source) {
  try {
    return statSync(copy).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    return false;
  }
}

const dir = process.argv[2] || 'dist';
for (const file of files(dir)) {
  if (fresh(`${file}.gz`, file)) continue;
  const bytes = readFileSync(file);
  const quality = path.extname(file) === '.onnx' || path.extname(file) === '.bin' ? 9 : 11;
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  const gz = gzipSync(bytes, { level: 9 });
  writeAtomic(`${file}.gz`, gz);
  // A server prefers .br: keep it only where it is the smaller (not so for one int8 model).
  if (br.length < gz.length) writeAtomic(`${file}.br`, br);
  else rmSync(`${file}.br`, { force: true });
}
