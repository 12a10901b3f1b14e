// Bundles www/ into dist/: the demo page (demo.js), the widget (vitrine-look.js, the one script
// a product page adds), the worker and the wasm module they share, plus the files they fetch at
// run time: the models, the default catalog index and the sample looks. The benchmark page has
// its own build (bench/webpack.config.js), run after this one.
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import CopyPlugin from 'copy-webpack-plugin';

const root = path.dirname(fileURLToPath(import.meta.url));
const index = process.env.VITRINE_INDEX || path.join(root, 'index', 'clothing');
const samples = process.env.VITRINE_SAMPLES || path.join(root, 'tests', 'photos');

for (const [what, file, fix] of [
  ['the wasm build', path.join(root, 'pkg', 'vitrine.js'), 'run scripts/build-web.sh'],
  ['the catalog index', path.join(index, 'index.bin'), 'run scripts/build-web.sh (or vitrine index build)'],
]) {
  if (!existsSync(file)) throw new Error(`${what} is missing (${file}): ${fix}`);
}

/** Writes www/sw.js to dist/ with the list of the page's own files to precache. */
class ServiceWorkerPlugin {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('vitrine-sw', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'vitrine-sw', stage: Compilation.PROCESS_ASSETS_STAGE_REPORT }, () => {
        const shell = ['./', ...Object.keys(compilation.assets)
          // Not the wasm: the vitrine worker caches the one build it runs (www/worker.js).
          // Not the product page's gallery either: the demo page never shows it.
          .filter((name) => /^[^/]+\.(html|js|css)$/.test(name) || (name.startsWith('samples/') && !name.startsWith('samples/gallery-')))
          .sort()];
        const source = readFileSync(path.join(root, 'www', 'sw.js'), 'utf8')
          .replace('self.__SHELL__', JSON.stringify(shell));
        compilation.emitAsset('sw.js', new sources.RawSource(source));
      });
    });
  }
}

export default {
  mode: 'production',
  entry: { demo: './www/demo.js', 'vitrine-look': './www/widget.js' },
  output: {
    path: path.join(root, 'dist'),
    filename: '[name].js',
    chunkFilename: '[name].[contenthash:8].js',
    assetModuleFilename: '[name].[contenthash:8][ext]',
    // Scripts find their worker, wasm and models beside themselves, wherever a shop hosts them.
    publicPath: 'auto',
    clean: true,
  },
  module: {
    rules: [{ test: /\.css$/, type: 'asset/source' }],
  },
  performance: { hints: false },
  plugins: [
    new ServiceWorkerPlugin(),
    new CopyPlugin({
      patterns: [
        { from: 'www/*.html', to: '[name][ext]' },
        { from: 'www/style.css', to: 'style.css' },
        // The bare backbone only trains the head (`vitrine train`): the page never loads it.
        { from: 'models/*.onnx', to: 'models/[name][ext]', globOptions: { ignore: ['**/efficientnet_lite0.onnx'] } },
        {
          from: index,
          to: 'index/clothing',
          // embeddings.cache only speeds up the next `vitrine index build`: no page reads it.
          globOptions: { ignore: ['**/photos/**', '**/catalog.csv', '**/embeddings.cache'] },
        },
        { from: 'www/samples.json', to: 'samples/samples.json' },
        // The demo's sample looks, and the sample product page's gallery (tests/fetch-photos.sh).
        ...['messi5.jpg', 'bus.jpg', 'zidane.jpg', 'gallery-1-close.jpg', 'gallery-2-back.jpg', 'gallery-3-half.jpg'].map((f) => ({
          from: path.join(samples, f), to: `samples/${f}`, noErrorOnMissing: true,
        })),
      ],
    }),
  ],
};
