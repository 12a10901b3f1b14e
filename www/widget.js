// <vitrine-look>: "Shop the look" for a product page's look photo. One script tag, then
//
//   <img id="look" src="look.jpg" alt="...">
//   <vitrine-look for="look" index="/vitrine/index/my-shop/"></vitrine-look>
//
// or with the photo inside: <vitrine-look index="..."><img src="look.jpg" alt="..."></vitrine-look>.
// Attributes: index (the catalog index folder, required), for (the id of the look image),
// models (the models folder; default: models/ beside this script), audience (women, men,
// unisex), lite (the smaller pose model). Nothing heavy loads until the shopper presses the
// button. Events (bubbling, composed): vitrine:ready, vitrine:results (detail: the look),
// vitrine:error (detail: { message }).
import { VitrineClient } from './client.js';
import { renderRows, verdictText } from './render.js';
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
        onProgress: ({ file, loaded, total }) => {
          this.status.textContent = `Loading ${file}${total ? ` (${Math.round((100 * loaded) / total)}%)` : ''}…`;
        },
      });
    }
    return this._client;
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  async shop() {
    this.button.disabled = true;
    this.rows.replaceChildren();
    try {
      const img = this.image();
      const client = this.client();
      if (!this.loaded) {
        this.status.textContent = 'Loading…';
        await client.load();
        this.loaded = true;
        this.emit('vitrine:ready', {});
      }
      this.status.textContent = 'Looking at the photo…';
      const url = img.currentSrc || img.src;
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the look image ${url} could not be read (HTTP ${response.status})`);
      const blob = await response.blob();
      const name = new URL(url, document.baseURI).pathname.split('/').pop() || 'look image';
      const look = await client.recommend(new File([blob], name, { type: blob.type }), this.getAttribute('audience') || '');
      this.status.textContent = verdictText(look);
      this.rows.append(renderRows(look, client.options.indexUrl));
      this.emit('vitrine:results', look);
    } catch (error) {
      this.status.textContent = `Shop the look did not work: ${error.message}`;
      this.emit('vitrine:error', { message: error.message });
    } finally {
      this.button.disabled = false;
    }
  }
}

if (!customElements.get('vitrine-look')) customElements.define('vitrine-look', VitrineLook);
