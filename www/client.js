// The page's side of the worker: one VitrineClient per page. `load()` resolves when the models
// and the index are in (reporting progress per file); `recommend()` resolves with the look or
// rejects with an Error carrying the core's message.
export class VitrineClient {
  constructor({ modelsUrl, indexUrl, lite = false, onProgress = () => {} }) {
    this.options = { modelsUrl: absolute(modelsUrl), indexUrl: absolute(indexUrl), lite };
    this.onProgress = onProgress;
    this.pending = new Map();
    this.nextId = 1;
    this.ready = null;
  }

  load() {
    if (this.ready) return this.ready;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = ({ data }) => {
        if (data.type === 'progress') this.onProgress(data);
        else if (data.type === 'ready') resolve(data);
        else if (data.id && this.pending.has(data.id)) {
          const { resolve: ok, reject: fail } = this.pending.get(data.id);
          this.pending.delete(data.id);
          if (data.type === 'look') ok(data.look);
          else fail(new Error(data.message));
        } else if (data.type === 'error') {
          reject(new Error(data.message));
        }
      };
      this.worker.onerror = (event) => {
        const error = new Error(`vitrine's worker failed: ${event.message || 'it could not start'}`);
        reject(error);
        for (const { reject: fail } of this.pending.values()) fail(error);
        this.pending.clear();
      };
    });
    // A failed load may be retried (e.g. after coming back online).
    this.ready.catch(() => {
      this.worker.terminate();
      this.ready = null;
    });
    this.worker.postMessage({ type: 'load', ...this.options });
    return this.ready;
  }

  /** The look of a photo (a Blob or File); `audience` is '', 'women', 'men' or 'unisex'. */
  async recommend(photo, audience = '') {
    await this.load();
    const bytes = await photo.arrayBuffer();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'recommend', id, photo: bytes, name: photo.name || 'photo', audience }, [bytes]);
    });
  }
}

function absolute(url) {
  const href = new URL(url, document.baseURI).href;
  return href.endsWith('/') ? href : `${href}/`;
}
