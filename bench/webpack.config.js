// Bundles the browser benchmark page (bench.html, bench.js) into dist/, beside what the product
// build (../webpack.config.js) put there: the page reads that build's models, index and sample
// photos, and its VitrineClient's worker and wasm are the demo's (same names, same bytes). Not
// part of the demo or the widget. Run after the product build, which empties dist/ first
// (scripts/build-web.sh runs both).
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import CopyPlugin from 'copy-webpack-plugin';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

if (!existsSync(path.join(dist, 'index.html'))) {
  throw new Error(`the product build is missing (${dist}): run scripts/build-web.sh`);
}

export default {
  mode: 'production',
  context: root,
  entry: { bench: './bench/bench.js' },
  output: {
    path: dist,
    // As the product build names its files, so that the chunks and assets both builds share
    // (the worker, the wasm) land on the same files instead of beside them.
    filename: '[name].js',
    chunkFilename: '[name].[contenthash:8].js',
    assetModuleFilename: '[name].[contenthash:8][ext]',
    publicPath: 'auto',
    clean: false,
  },
  performance: { hints: false },
  plugins: [
    new CopyPlugin({
      patterns: [
        { from: 'bench/bench.html', to: 'bench.html' },
        // onnxruntime-web, to run the same models (its ESM bundle, its SIMD wasm and that wasm's loader).
        ...['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'].map((f) => ({
          // Already minified: keep terser off it.
          from: path.join(root, 'node_modules', 'onnxruntime-web', 'dist', f), to: `ort/${f}`, noErrorOnMissing: true, info: { minimized: true },
        })),
      ],
    }),
  ],
};
