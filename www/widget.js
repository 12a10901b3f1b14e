// <vitrine-look>: "Shop the look" for a product page's look photo. One script tag, then
//
//   <img id="look" src="look.jpg" alt="...">
//   <vitrine-look for="look" index="/vitrine/index/my-shop/"></vitrine-look>
//
// or with the photo inside: <vitrine-look index="..."><img src="look.jpg" alt="..."></vitrine-look>.
//
// A product page's gallery works too: `for` naming the gallery's container, or several <img>
// inside the widget. The widget then chooses the look itself, one photo at a time in gallery
// order, stopping at the first full shot facing the camera (the verdict, and the person's
// `facing`: shoulders' left/right order and a face seen; and `upright`: shown the right way
// up, not found by turning the photo); only that photo's garments are matched. With none, the
// look is the first full shot facing elsewhere, else the photo with the most garments found,
// and the status says its verdict. A second press while a look runs is ignored. The look's
// `chosen` says which photo and why: { index (0-based, in gallery order), src, photos (how
// many), reason }.
//
// Attributes: index (the catalog index folder, required), for (the id of the look image or of
// the gallery), models (the models folder; default: models/ beside this script), audience
// (women, men, unisex), lite (the smaller pose model), preload or preload="cached" (see below).
// Events (bubbling, composed): vitrine:ready (the engine is in, before any photo is looked at),
// vitrine:prepared (with preload; detail: the look, with `chosen`), vitrine:results (detail: the
// look, with `chosen`), vitrine:error (detail: { message }).
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
          for (const img of this.images()) img.addEventListener('load', () => whenIdle(() => this.prepare()));
        } catch { /* no look image: the press says so */ }
      });
    }
  }

  /** The photos the look may be made of, in gallery order: the <img> `for` names, the <img>s
   * inside the element it names (a gallery), or the <img>s inside the widget. */
  images() {
    const id = this.getAttribute('for');
    const target = id ? document.getElementById(id) : this;
    if (!target) throw new Error(`<vitrine-look for="${id}">: no element has the id "${id}"`);
    const all = target instanceof HTMLImageElement ? [target] : [...target.querySelectorAll('img')];
    const images = all.filter((img) => img.currentSrc || img.src);
    if (!images.length) {
      throw new Error('<vitrine-look> found no look image: give it for="ID" of an <img> or of a gallery of them, '
        + 'or put <img>s inside it');
    }
    return images;
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

  /** The look of the look images as they are now: the one prepared in the background when it
   * is of these images and audience, else a new one. A failed look is not kept. `onlyIfCached`:
   * a new look loads the engine only from the cache (see VitrineClient.load). */
  look(onlyIfCached = false) {
    const urls = this.images().map((img) => img.currentSrc || img.src);
    const audience = this.getAttribute('audience') || '';
    const key = `${audience} ${urls.join(' ')}`;
    if (this.prepared?.key !== key) {
      const look = this.makeLook(urls, audience, onlyIfCached);
      this.prepared = { key, look };
      look.catch(() => {
        if (this.prepared?.look === look) this.prepared = null;
      });
    }
    return this.prepared.look;
  }

  /** The look of the first of `urls` that is a full shot facing the camera (see the top of
   * this file), with `chosen` saying which and why. */
  async makeLook(urls, audience, onlyIfCached) {
    const client = await this.engine(onlyIfCached);
    const say = (text) => {
      if (this.busy && text) this.status.textContent = text;
    };
    const onPreview = (preview) => say(previewText(preview, true));
    const chosen = (look, index, reason) => ({ ...look, chosen: { index, src: urls[index], photos: urls.length, reason } });
    if (urls.length === 1) {
      say('Looking at the photo…');
      return chosen(await client.recommend(await photoFile(urls[0]), audience, onPreview), 0, 'the only photo');
    }
    const seen = [];
    const failed = [];
    for (const [index, url] of urls.entries()) {
      say(`Looking at photo ${index + 1} of ${urls.length}…`);
      try {
        const photo = await photoFile(url);
        // Stops at the look so far unless it is the one: only that photo's garments are matched.
        const look = await client.recommend(photo, audience, () => {}, { onlyIf: facesTheCamera });
        if (facesTheCamera(look)) return chosen(look, index, 'the first full shot facing the camera');
        seen.push({ index, photo, look });
      } catch (error) {
        failed.push(error); // a broken photo in a gallery leaves the others
      }
    }
    if (!seen.length) {
      throw new Error(`none of the ${urls.length} photos could be looked at (the first: ${failed[0].message})`);
    }
    const full = seen.find((s) => s.look.verdict.full_shot);
    const best = full ?? seen.reduce((a, b) => (b.look.garments.length > a.look.garments.length ? b : a));
    const reason = full ? 'no full shot faces the camera: the first full shot'
      : best.look.garments.length ? 'no photo is a full shot: the one with the most garments found'
        : 'no photo shows a person\'s garments: the first that could be read';
    say(`Looking at photo ${best.index + 1} of ${urls.length}…`);
    return chosen(await client.recommend(best.photo, audience, onPreview), best.index, reason);
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
      this.heldImages = await Promise.all(productImages(look, this.client().options.indexUrl).map((src) => {
        const img = new Image();
        img.src = src;
        return img.decode().catch(() => {}).then(() => img);
      }));
      this.emit('vitrine:prepared', look);
    } catch { /* shown on the press */ }
  }

  async shop() {
    // A second press (or a scripted click on the disabled button) is ignored while the first runs.
    if (this.busy) return;
    this.button.disabled = true;
    this.busy = true;
    this.rows.replaceChildren();
    try {
      this.status.textContent = this.ready ? 'Looking at the photo…' : 'Loading…';
      // A press while the engine was being looked for in the cache, and not found there, loads it.
      const look = await this.look().catch((error) => (error.notCached ? this.look() : Promise.reject(error)));
      this.status.textContent = verdictText(look)
        + (look.chosen.photos > 1 ? ` Photo ${look.chosen.index + 1} of ${look.chosen.photos}: ${look.chosen.reason}.` : '');
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

/** A full shot whose person stands upright in the photo and faces the camera: the look a
 * gallery is looked at for. */
function facesTheCamera(look) {
  return look.verdict.full_shot && look.person?.facing === 'front' && look.person.upright;
}

/** The photo at `url` as a File named after it, or an error naming the URL. */
async function photoFile(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the look image ${url} could not be read (HTTP ${response.status})`);
  const blob = await response.blob();
  const name = new URL(url, document.baseURI).pathname.split('/').pop() || 'look image';
  return new File([blob], name, { type: blob.type });
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
