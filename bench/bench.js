// The browser benchmark (issue 6), one thread, in this page: each shipped model bare (no pre- or
// post-processing) in tract through vitrine's wasm and in onnxruntime-web on the same bytes and
// the same input (the sample photo stretched to the model's input, values in [0, 1]), with
// tract's per-op profile; then whole looks on a sample photo, stage by stage, in this thread;
// then the same looks through VitrineClient with one worker and with two. The first run of each
// is reported apart (cold); the rest give median, min and max (warm). The two sides of each
// comparison alternate, so they are measured under the same conditions. `?wasm=simd128` (or
// `relaxed`) picks the wasm build, for the page and its workers alike (default: as the demo).
import init, { BareModel, Vitrine, modelFiles } from '../pkg/vitrine.js';
import { VitrineClient } from '../www/client.js';
import { stats } from './stats.js';
import { wasmBuild } from '../www/wasm.js';

const params = new URLSearchParams(location.search);
const RUNS = Number(params.get('runs') || 10);
const out = document.getElementById('out');
const log = (line) => { out.textContent += `\n${line}`; };

/** How far tract's first output is from onnxruntime's: the largest difference relative to the
 * output's largest magnitude (0 = identical). */
function agreement(a, b) {
  if (a.length !== b.length) return { length: [a.length, b.length] };
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i += 1) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { length: a.length, maxRelativeDiff: diff / (scale || 1) };
}

async function bytesOf(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Times `a` and `b` alternately (so the machine's drift hits both alike): the first run of each
 * apart (cold), then RUNS warm runs each. */
async function timedPair(a, b) {
  const once = async (run) => {
    const t = performance.now();
    await run();
    return performance.now() - t;
  };
  const cold = [await once(a), await once(b)];
  const warm = [[], []];
  for (let i = 0; i < RUNS; i += 1) {
    warm[0].push(await once(a));
    warm[1].push(await once(b));
  }
  return [0, 1].map((k) => ({ cold: cold[k], warm: stats(warm[k]) }));
}

/** Where tract spends a model's time: RUNS profiled runs; each step's median (`steps`, in plan
 * order, with tract's count of its multiply-adds) and their sums per op (`ops`, tract's op names,
 * largest first). */
function profileOps(bare) {
  const runs = Array.from({ length: RUNS }, () => bare.profile());
  const steps = runs[0].map(({ op, node, macs }, i) => ({ op, node, macs, ms: stats(runs.map((r) => r[i].ms)).median }));
  const byOp = {};
  for (const { op, ms, macs } of steps) {
    byOp[op] ||= { op, ms: 0, macs: 0, steps: 0 };
    byOp[op].ms += ms;
    byOp[op].macs += macs;
    byOp[op].steps += 1;
  }
  return { steps, ops: Object.values(byOp).sort((a, b) => b.ms - a.ms) };
}

async function benchModels(files, photo) {
  const ort = await import(/* webpackIgnore: true */ new URL('ort/ort.wasm.bundle.min.mjs', location.href).href);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  const rows = [];
  for (const { file, shape } of files) {
    const bytes = await bytesOf(new URL(`models/${file}`, location.href).href);
    let t = performance.now();
    const bare = new BareModel(file, bytes, photo);
    const tractLoad = performance.now() - t;
    t = performance.now();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const ortLoad = performance.now() - t;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', bare.input(), shape) };
    const [tract, onnxruntime] = await timedPair(() => bare.run(), () => session.run(feeds));
    const { steps, ops } = profileOps(bare);
    const tractOutput = bare.run();
    const ortOutput = (await session.run(feeds))[session.outputNames[0]].data;
    bare.free();
    await session.release();
    const row = { file, shape, tract: { load: tractLoad, ...tract }, ort: { load: ortLoad, ...onnxruntime },
      ratio: tract.warm.median / onnxruntime.warm.median, agreement: agreement(tractOutput, ortOutput), ops, steps };
    log(`${file}: tract ${tract.warm.median.toFixed(1)} ms, onnxruntime-web ${onnxruntime.warm.median.toFixed(1)} ms (x${row.ratio.toFixed(2)}; outputs differ by ${row.agreement.maxRelativeDiff?.toExponential(1)})`);
    rows.push(row);
  }
  return rows;
}

async function benchLooks(photoName, photo) {
  const files = modelFiles(false);
  const models = await Promise.all(files.map((f) => bytesOf(new URL(`models/${f.file}`, location.href).href)));
  const indexUrl = new URL('index/clothing/', location.href).href;
  const [index, products] = await Promise.all(['index.bin', 'products.json'].map((f) => bytesOf(indexUrl + f)));
  const [detector, landmarks, ssd, embedder] = models;
  let t = performance.now();
  const vitrine = new Vitrine(detector, files[1].file, landmarks, ssd, embedder, indexUrl, index, products);
  const load = performance.now() - t;
  const looks = [];
  for (let i = 0; i <= RUNS; i += 1) looks.push(vitrine.recommend(photo, photoName, ''));
  vitrine.free();
  const stages = {};
  for (const look of looks.slice(1)) {
    for (const { stage, ms } of look.timings) (stages[stage] ||= []).push(ms);
  }
  const cold = Object.fromEntries(looks[0].timings.map(({ stage, ms }) => [stage, ms]));
  const warm = Object.fromEntries(Object.entries(stages).map(([stage, ms]) => [stage, stats(ms)]));
  // The networks' work per stage (the same in every run of the same photo).
  const multiplyAdds = Object.fromEntries(looks[0].timings.map(({ stage, multiply_adds: m }) => [stage, m]));
  log(`look on ${photoName}: ${looks[0].verdict.message}; warm total median ${warm.total.median.toFixed(0)} ms, `
    + `${(multiplyAdds.total / 1e9).toFixed(2)} G multiply-adds`);
  return { photo: photoName, verdict: looks[0].verdict.message, load, cold, warm, multiplyAdds, reference: looks[0] };
}

/** Whole looks as the demo makes them, through VitrineClient, timed in this page from the photo
 * to the look: one worker against two (the second matching every other crop), alternating. The
 * products must be those of the one-thread look above. */
async function benchWorkers(photoName, photo, reference, wasm) {
  const indexUrl = new URL('index/clothing/', location.href).href;
  const modelsUrl = new URL('models/', location.href).href;
  const clients = [1, 2].map((workers) => new VitrineClient({ modelsUrl, indexUrl, workers, wasm }));
  for (const client of clients) await client.load();
  const twoWorkers = await clients[1].matcherReady;
  // Each worker's load time and wasm memory (MB), as the workers report them when ready.
  const mb = (bytes) => bytes / 2 ** 20;
  const loaded = [clients[0].worker, clients[1].worker, clients[1].matcher].filter(Boolean)
    .map(({ loaded: l }, k) => ({ worker: ['look (1-worker client)', 'look', 'matcher'][k], ms: l.ms, wasmMB: mb(l.wasmBytes), build: l.build }));
  log(`workers loaded: ${loaded.map((l) => `${l.worker} ${l.ms.toFixed(0)} ms, ${l.wasmMB.toFixed(0)} MB`).join('; ')}`);
  const file = new File([photo], photoName, { type: 'image/jpeg' });
  const ids = (look) => look.garments.map((g) => `${g.wear}:${g.products.map((p) => p.id).join(',')}`).join(' ');
  const wall = [[], []];
  const inside = [[], []]; // the look's own "total": from its decode to its finish, in the worker
  const previews = [[], []]; // until the look so far (verdict and boxes) reached the page
  // Each stage as the workers time it (with two, the bottom and dress crops' on the second
  // worker's clock): where a client's look spends its time beyond the page's own thread.
  const stageMs = [{}, {}];
  let sameProducts = true;
  for (let i = 0; i <= RUNS; i += 1) {
    for (const k of [1, 0]) {
      const t = performance.now();
      const look = await clients[k].recommend(file, '', () => previews[k].push(performance.now() - t));
      wall[k].push(performance.now() - t);
      inside[k].push(look.timings.find((t) => t.stage === 'total').ms);
      if (i > 0) for (const { stage, ms } of look.timings) (stageMs[k][stage] ||= []).push(ms);
      sameProducts &&= ids(look) === ids(reference);
    }
  }
  // Two looks asked at once (a widget preparing one while the shopper asks for another) each
  // get their own look.
  const together = await Promise.all([clients[1].recommend(file, ''), clients[1].recommend(file, '')]);
  const sameTogether = together.every((look) => ids(look) === ids(reference));
  const [one, two] = wall.map((ms, k) => ({
    cold: ms[0], warm: stats(ms.slice(1)), inside: stats(inside[k].slice(1)), preview: stats(previews[k].slice(1)),
    stages: Object.fromEntries(Object.entries(stageMs[k]).map(([stage, v]) => [stage, stats(v)])),
  }));
  log(`look through 1 / 2 workers: warm median ${one.warm.median.toFixed(0)} / ${two.warm.median.toFixed(0)} ms (its boxes after ${one.preview.median.toFixed(0)} / ${two.preview.median.toFixed(0)}); same products as one thread: ${sameProducts}`);
  return { twoWorkers, loaded, one, two, sameProducts, sameTogether, garments: ids(reference) };
}

async function main() {
  const t = performance.now();
  const { build, url } = await wasmBuild(params.get('wasm') || undefined);
  await init({ module_or_path: url });
  const wasmInit = performance.now() - t;
  log(`wasm build: ${build}`);
  const files = [...modelFiles(false), ...modelFiles(true)]
    .filter((f, i, all) => all.findIndex((g) => g.file === f.file) === i);
  const shapes = BareModel.shapes();
  const photoName = params.get('photo') || 'messi5.jpg';
  const photo = await bytesOf(new URL(`samples/${photoName}`, location.href).href);
  const models = await benchModels(files.map(({ file }) => ({ file, shape: shapes[file] })), photo);
  const look = await benchLooks(photoName, photo);
  const workers = await benchWorkers(photoName, photo, look.reference, build);
  delete look.reference;
  window.benchResult = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    runs: RUNS,
    wasmBuild: build,
    wasmUrl: url,
    wasmInit,
    models,
    look,
    workers,
  };
  log('done');
}

main().catch((error) => {
  log(`error: ${error.message || error}`);
  // The stack, where the engine gives one, says where it came from.
  window.benchResult = { error: String(error.message || error), stack: error.stack };
});
