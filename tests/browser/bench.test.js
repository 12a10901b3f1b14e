// The benchmark page (bench/bench.html) in headless Chromium, one run each: not timed here (speed
// is measured by bench/bench-browser.js), but every shipped model must run in both tract
// (vitrine's wasm) and onnxruntime-web and give the same first output, so the benchmark compares
// the same work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium, NEEDS } from '../../scripts/browsers.js';
import { serve } from '../../scripts/serve.js';
import { dist, requireFiles } from './shared.js';

requireFiles([
  [path.join(dist, 'bench.js'), 'build it with scripts/build-web.sh'],
  [path.join(dist, 'ort', 'ort-wasm-simd-threaded.wasm'), 'npm ci (onnxruntime-web), then scripts/build-web.sh'],
  ...NEEDS.chromium,
]);

let server;
let browser;

before(async () => {
  server = await serve(dist);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('bench page: tract and onnxruntime-web run every shipped model to the same output; a look runs', async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/bench.html?runs=1`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 300_000, polling: 500 });
  const result = await page.evaluate(() => window.benchResult);
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(result.models.map((m) => m.file).sort(), [
    'pose_detector.onnx', 'pose_landmarks_full.onnx', 'pose_landmarks_lite.onnx', 'ssd_oidv4.onnx', 'vitrine_embedder.onnx',
  ]);
  for (const m of result.models) {
    console.log(`${m.file}: ${m.agreement.length} values, max relative difference ${m.agreement.maxRelativeDiff}`);
    assert.ok(m.agreement.length > 0 && m.agreement.maxRelativeDiff < 1e-3, `${m.file}: ${JSON.stringify(m.agreement)}`);
    assert.ok(m.tract.warm.n === 1 && m.ort.warm.n === 1);
    // The per-op profile covers tract's whole plan, in wasm too.
    const steps = m.ops.reduce((a, o) => a + o.steps, 0);
    assert.ok(steps > 100 && m.ops.some((o) => o.op.includes('MatMul')), `${m.file}: ${JSON.stringify(m.ops)}`);
    // with tract's count of the multiply-adds, the same in wasm as natively (tests/models.rs)
    const macs = m.ops.reduce((a, o) => a + o.macs, 0);
    assert.ok(macs > 1e8 && macs < 1e9, `${m.file}: ${macs} multiply-adds`);
  }
  // Chromium has wasm relaxed-simd: the page and every worker run that build.
  assert.equal(result.wasmBuild, 'relaxed');
  assert.deepEqual(result.workers.loaded.map((l) => l.build), ['relaxed', 'relaxed', 'relaxed']);
  assert.equal(result.look.verdict, 'full shot');
  // The demo's way: two workers, the crops split between them; the same products as one thread.
  assert.equal(result.workers.twoWorkers, true);
  // The look so far (verdict and boxes) reaches the page before the look.
  for (const w of [result.workers.one, result.workers.two]) assert.ok(w.preview.median > 0 && w.preview.max <= w.warm.max, JSON.stringify(w));
  assert.ok(result.workers.sameProducts, `two workers: ${result.workers.garments}`);
  assert.ok(result.workers.sameTogether, 'two looks asked at once');
  assert.ok(result.workers.garments.includes('top:'), result.workers.garments);
  // Each worker reports its load: the matcher holds one model of the look worker's four.
  const [, look, matcher] = result.workers.loaded;
  assert.deepEqual(result.workers.loaded.map((l) => l.worker), ['look (1-worker client)', 'look', 'matcher']);
  assert.ok(look.wasmMB > matcher.wasmMB && matcher.wasmMB > 0 && look.ms > 0, JSON.stringify(result.workers.loaded));
  for (const stage of ['decode', 'ssd', 'landmarks', 'embed_top', 'search_top', 'total']) {
    assert.ok(stage in result.look.warm, `${stage} missing from ${Object.keys(result.look.warm)}`);
  }
  // The look's multiply-adds, per stage and in all: the SSD's, the pose models' and the embeddings'
  // runs, as tract counts them (`vitrine recommend` prints the same natively).
  const m = result.look.multiplyAdds;
  assert.ok(m.ssd > 0 && m.landmarks > 0 && m.embed_top > 0 && m.search_top === 0, JSON.stringify(m));
  const stages = Object.entries(m).filter(([stage]) => stage !== 'total').reduce((a, [, v]) => a + v, 0);
  assert.ok(Math.abs(m.total - stages) < 1, JSON.stringify(m));
});
