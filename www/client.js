// The page's side of the workers: one VitrineClient per page. `load()` resolves when the models
// and the index are in (reporting progress per file); `recommend()` resolves with the look or
// rejects with an Error carrying the core's message, and may report the look so far (verdict
// and garment boxes, no products) as soon as the garments are located.
//
// `load({ onlyIfCached: true })` loads only what an earlier visit left in the cache: it rejects
// with an error whose `notCached` is true, having downloaded nothing, when something is missing;
// a plain `load()` (or a look) asked meanwhile then loads it all.
//
// Looks run in steps: the first worker locates the garments, the crops are matched, the first
// worker finishes the look. On a machine with more than one core, a second worker (a "matcher":
// the embedder and the index only) loads once the first is ready, from the cache the first
// filled; it decodes the same photo while the first locates, and the crops are split between
// the two. Until the matcher is ready, and if it cannot load, the first worker matches them all.
//
// A page where a newer photo makes any older one moot (the demo) asks through `latest()`: only
// the latest photo picked during a look is looked at next, any picked before it is skipped.
//
// `wasm` forces one of the two wasm builds ("relaxed" or "simd128", see wasm.js); by default each
// worker runs the best its browser has. `worker.loaded.build` says which one it runs.
export class VitrineClient {
  constructor({ modelsUrl, indexUrl, lite = false, onProgress = () => {}, workers = defaultWorkers(), wasm }) {
    this.options = { modelsUrl: absolute(modelsUrl), indexUrl: absolute(indexUrl), lite, wasm };
    this.onProgress = onProgress;
    this.workers = workers;
    this.pending = new Map();
    this.nextId = 1;
    this.queue = Promise.resolve();
    /** What `latest()` runs next, and whether one of its runs is under way. */
    this.waiting = null;
    this.busy = false;
    this.ready = null;
    this.matcher = null;
    /** Settles true once the second worker is in, false when there is none. */
    this.matcherReady = Promise.resolve(false);
  }

  load({ onlyIfCached = false } = {}) {
    if (this.ready) {
      if (onlyIfCached || !this.onlyIfCached) return this.ready;
      return this.ready.catch((error) => (error.notCached ? this.load() : Promise.reject(error)));
    }
    this.onlyIfCached = onlyIfCached;
    const worker = this.start('look', (data) => this.onProgress(data), { onlyIfCached });
    this.worker = worker;
    const ready = worker.ready;
    this.ready = ready;
    // A failed load may be retried (e.g. after coming back online).
    ready.then(() => this.startMatcher(), () => {
      worker.terminate();
      if (this.ready === ready) this.ready = null;
    });
    return ready;
  }

  /** The look of a photo (a Blob or File: JPEG, PNG, WebP, GIF or BMP, or any other format this
   * browser decodes, e.g. AVIF, or HEIC in Safari: see worker.js); `audience` is '', 'women',
   * 'men' or 'unisex'.
   * `onPreview(look)` gets the look so far once the garments are located (~2/3 of the way).
   * `onlyIf(look so far)`, when given and false, stops the look there: it resolves with the
   * look so far (verdict, person, garment boxes, no products), e.g. for a product gallery whose
   * photos are worth a whole look only once one is a full shot.
   * Looks asked for at once run one after the other: a worker holds one located photo. */
  recommend(photo, audience = '', onPreview = () => {}, { onlyIf } = {}) {
    const run = () => this.look(photo, audience, onPreview, onlyIf);
    const look = this.queue.then(run);
    this.queue = look.catch(() => {});
    return look;
  }

  /** Runs `run` (a function that asks this client for a look, and shows it) once the run given
   * here before is done, at once when none is under way (`busy` is false). Runs given meanwhile
   * wait, and only the latest: each replaces the one waiting, which is skipped. Resolves with
   * what `run` returns (rejects if it throws), or with null when skipped. */
  latest(run) {
    this.waiting?.resolve(null);
    return new Promise((resolve) => {
      this.waiting = { run, resolve };
      if (!this.busy) this.runLatest();
    });
  }

  async runLatest() {
    this.busy = true;
    while (this.waiting) {
      const { run, resolve } = this.waiting;
      this.waiting = null;
      const done = (async () => run())();
      resolve(done);
      await done.catch(() => {});
    }
    this.busy = false;
  }

  async look(photo, audience, onPreview, onlyIf) {
    await this.load();
    const bytes = await photo.arrayBuffer();
    const name = photo.name || 'photo';
    try {
      return await this.steps(bytes, name, audience, onPreview, onlyIf);
    } catch (error) {
      if (!error.trapped) throw error;
      // The wasm trapped: its instance is unusable (every later call would fail). The next
      // look loads new workers, from the cache.
      this.restart(error);
      throw new Error(`vitrine stopped while looking at ${name} (${error.message}), most likely out of memory: `
        + 'try a smaller photo. It starts again for the next one.');
    }
  }

  async steps(bytes, name, audience, onPreview, onlyIf) {
    const matcher = this.matcher;
    let decoded = Promise.resolve();
    if (matcher) {
      const copy = bytes.slice(0);
      decoded = this.call(matcher, { type: 'photo', photo: copy, name }, [copy]);
      decoded.catch(() => {}); // awaited below; the look worker reports a bad photo first
    }
    const { crops, preview } = await this.call(this.worker, { type: 'locate', photo: bytes, name, audience }, [bytes]);
    onPreview(preview);
    if (onlyIf && !onlyIf(preview)) return preview;
    const numbered = crops.map((crop, i) => ({ i, crop }));
    const mine = matcher ? numbered.filter(({ i }) => i % 2 === 0) : numbered;
    const theirs = matcher ? numbered.filter(({ i }) => i % 2 === 1) : [];
    await decoded;
    const parts = await Promise.all([
      this.call(this.worker, { type: 'match', crops: mine, audience }),
      theirs.length ? this.call(matcher, { type: 'match', crops: theirs, audience }) : [],
    ]);
    const matched = [];
    for (const { i, matched: m } of parts.flat()) matched[i] = m;
    return this.call(this.worker, { type: 'finish', matched });
  }

  startMatcher() {
    if (this.workers < 2 || this.matcherWorker) return;
    const worker = this.start('matcher', () => {});
    this.matcherWorker = worker;
    this.matcherReady = worker.ready.then(() => {
      if (this.matcherWorker !== worker) return false; // restarted meanwhile
      this.matcher = worker;
      return true;
    }, (error) => {
      console.warn(`vitrine: the second worker could not load (${error.message}); looks run on one`);
      worker.terminate();
      if (this.matcherWorker === worker) this.matcherWorker = null;
      return false;
    });
  }

  /** Ends both workers (after a trap in either), failing what they still owed; the next look
   * loads new ones. */
  restart(error) {
    for (const worker of [this.worker, this.matcherWorker]) worker?.terminate();
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    this.worker = null;
    this.matcherWorker = null;
    this.matcher = null;
    this.ready = null;
    this.matcherReady = Promise.resolve(false);
  }

  /** A worker of `role`, loading; `worker.ready` settles when it is ready or failed. */
  start(role, onProgress, options = {}) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.ready = new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if (data.type === 'progress') onProgress(data);
        else if (data.type === 'ready') resolve((worker.loaded = data));
        else if (data.id && this.pending.has(data.id)) {
          const { resolve: ok, reject: fail } = this.pending.get(data.id);
          this.pending.delete(data.id);
          if (data.type === 'result') ok(data.value);
          else fail(Object.assign(new Error(data.message), { trapped: data.trapped }));
        } else if (data.type === 'error') {
          reject(Object.assign(new Error(data.message), { notCached: data.notCached }));
        }
      };
      worker.onerror = (event) => {
        const error = new Error(`vitrine's worker failed: ${event.message || 'it could not start'}`);
        reject(error);
        for (const { reject: fail } of this.pending.values()) fail(error);
        this.pending.clear();
      };
    });
    worker.postMessage({ type: 'load', role, ...this.options, ...options });
    return worker;
  }

  call(worker, message, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id }, transfer);
    });
  }
}

/** Two workers where there are at least two cores (one core gains nothing from a second). */
function defaultWorkers() {
  return (navigator.hardwareConcurrency || 1) >= 2 ? 2 : 1;
}

function absolute(url) {
  const href = new URL(url, document.baseURI).href;
  return href.endsWith('/') ? href : `${href}/`;
}
