// <vitrine-look>: "Shop the look" for a product page's look photo. One script tag, then
//
//   <img id="look" src="look.jpg" alt="...">
//   <vitrine-look for="look" index="/vitrine/index/my-shop/"></vitrine-look>
//
// or with the photo inside: <vitrine-look index="..."><img src="look.jpg" alt="..."></vitrine-look>.
// Attributes: index (the catalog index folder, required), for (the id of the look image),
// models (the models folder; default: models/ beside this script), audience (women, men,
// unisex), lite (the smaller pose model), preload or preload="cached" (see below). Events
// (bubbling, composed): vitrine:ready, vitrine:prepared (with preload; detail: the look),
// vitrine:results (detail: the look), vitrine:error (detail: { message }).
//
// By default nothing heavy loads until the shopper presses the button, who then waits for the
// download (~14 MB on a first visit), the load and the look. With `preload` the widget does all
// that in the background once it is near the viewport and the browser is idle (not when the
// browser asks to save data), and again when the look image changes, so a press shows the look
// at once; a retailer trades the shopper's bandwidth and a few seconds of CPU for it, page by
// page. `preload="cached"` does the same only where it downloads nothing: when this browser
// holds the engine from an earlier press on the site (a shopper who used it before gets the look
// at once on every product page; a first visitor loads nothing until the press).
import { VitrineClient } from './client.js';
import { previewText, productImages, renderRows, verdictText } from './render.js';
import lookCss from './look.css';

const SCRIPT_BASE = __webpack_public_path__;

const WIDGET_CSS = `
:host { display: block; font: inherit; }
button { font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid #1d1d1f; background: #1d1d1f; color: #fff; cursor: pointer; }
button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
button[disabled] { opacity: .6; cursor: progress; }
.status { margin: .5rem 0; font-size: .9rem; }
.status:empty { display: none; }
`;

class VitrineLook extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = '<slot></slot><button type="button" part="button">Shop the look</button>'
      + '<p class="status" role="status" aria-live="polite"></p><div class="rows" part="rows"></div>';
    const style = document.createElement('style');
    style.textContent = WIDGET_CSS + lookCss;
    root.prepend(style);
    this.button = root.querySelector('button');
    this.status = root.querySelector('.status');
    this.rows = root.querySelector('.rows');
    this.button.addEventListener('click', () => this.shop());
    if (this.hasAttribute('preload')) {
      whenNearAndIdle(this, () => {
        this.prepare();
        // A new look image (e.g. the product in another colour) is prepared once it has loaded.
        try {
          this.image().addEventListener('load', () => whenIdle(() => this.prepare()));
        } catch { /* no look image: the press says so */ }
      });
    }
  }

  image() {
    const id = this.getAttribute('for');
    const img = id ? document.getElementById(id) : this.querySelector('img');
    if (!img || !img.currentSrc && !img.src) {
      throw new Error(`<vitrine-look> found no look image: give it for="ID OF AN IMG" or put an <img> inside it`);
    }
    return img;
  }

  client() {
    const index = this.getAttribute('index');
    if (!index) throw new Error('<vitrine-look> needs an index attribute: the URL of the catalog index folder');
    if (!this._client) {
      this._client = new VitrineClient({
        modelsUrl: this.getAttribute('models') || new URL('models/', SCRIPT_BASE).href,
        indexUrl: index,
        lite: this.hasAttribute('lite'),
        // Quiet while preloading: the shopper has not asked for anything yet.
        onProgress: ({ file, loaded, total }) => {
          if (this.busy) this.status.textContent = `Loading ${file}${total ? ` (${Math.round((100 * loaded) / total)}%)` : ''}…`;
        },
      });
    }
    return this._client;
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  /** The engine, loaded once; `vitrine:ready` when it is in. A failed load is tried again.
   * `onlyIfCached`: see VitrineClient.load (a press meanwhile loads it all). */
  engine(onlyIfCached = false) {
    const client = this.client();
    this.loading ??= client.load({ onlyIfCached }).then(() => {
      this.ready = true;
      this.emit('vitrine:ready', {});
      return client;
    }, (error) => {
      this.loading = null;
      throw error;
    });
    return this.loading;
  }

  /** The look of the look image as it is now: the one prepared in the background when it is
   * of this image and audience, else a new one. A failed look is not kept. `onlyIfCached`: a
   * new look loads the engine only from the cache (see VitrineClient.load). */
  look(onlyIfCached = false) {
    const img = this.image();
    const url = img.currentSrc || img.src;
    const audience = this.getAttribute('audience') || '';
    const key = `${audience} ${url}`;
    if (this.prepared?.key !== key) {
      const look = this.makeLook(url, audience, onlyIfCached);
      this.prepared = { key, look };
      look.catch(() => {
        if (this.prepared?.look === look) this.prepared = null;
      });
    }
    return this.prepared.look;
  }

  async makeLook(url, audience, onlyIfCached) {
    const client = await this.engine(onlyIfCached);
    if (this.busy) this.status.textContent = 'Looking at the photo…';
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the look image ${url} could not be read (HTTP ${response.status})`);
    const blob = await response.blob();
    const name = new URL(url, document.baseURI).pathname.split('/').pop() || 'look image';
    return client.recommend(new File([blob], name, { type: blob.type }), audience, (preview) => {
      const text = previewText(preview, true);
      if (this.busy && text) this.status.textContent = text;
    });
  }

  /** With `preload`: the look made, and its product images fetched, before the shopper asks.
   * Errors wait for the press, which tries again and shows them. */
  async prepare() {
    if (navigator.connection?.saveData) return;
    try {
      const look = await this.look(this.getAttribute('preload') === 'cached');
      if (this.preparedLook === look) return; // this image's look is prepared already
      this.preparedLook = look;
      // Held, so that the rows' images of the same URLs come from memory.
      this.images = await Promise.all(productImages(look, this.client().options.indexUrl).map((src) => {
        const img = new Image();
        img.src = src;
        return img.decode().catch(() => {}).then(() => img);
      }));
      this.emit('vitrine:prepared', look);
    } catch { /* shown on the press */ }
  }

  async shop() {
    this.button.disabled = true;
    this.busy = true;
    this.rows.replaceChildren();
    try {
      this.status.textContent = this.ready ? 'Looking at the photo…' : 'Loading…';
      // A press while the engine was being looked for in the cache, and not found there, loads it.
      const look = await this.look().catch((error) => (error.notCached ? this.look() : Promise.reject(error)));
      this.status.textContent = verdictText(look);
      this.rows.append(renderRows(look, this.client().options.indexUrl));
      this.emit('vitrine:results', look);
    } catch (error) {
      this.status.textContent = `Shop the look did not work: ${error.message}`;
      this.emit('vitrine:error', { message: error.message });
    } finally {
      this.busy = false;
      this.button.disabled = false;
    }
  }
}

/** Calls `then` once `element` is within a screen of the viewport and the browser is idle. */
function whenNearAndIdle(element, then) {
  if (!window.IntersectionObserver) return whenIdle(then);
  const seen = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    seen.disconnect();
    whenIdle(then);
  }, { rootMargin: '100%' });
  seen.observe(element);
}

function whenIdle(then) {
  if (window.requestIdleCallback) requestIdleCallback(then, { timeout: 2000 });
  else setTimeout(then, 0);
}

if (!customElements.get('vitrine-look')) customElements.define('vitrine-look', VitrineLook);
