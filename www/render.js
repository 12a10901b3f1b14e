// Turns a look into DOM and status text, for the demo page and the widget alike. Catalog text is
// written with textContent only, and links and images are followed only when they resolve to
// http(s) URLs (relative ones resolve against the index folder), so a hostile catalog cannot
// inject markup or script.

const WEAR_NAMES = { top: 'Top', bottom: 'Bottom', foot: 'Foot wear', dress: 'Dress' };

function safeUrl(value, base) {
  try {
    const url = new URL(value, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One row per garment: a heading and its product cards. */
export function renderRows(look, indexUrl) {
  const rows = el('div', 'vitrine-rows');
  for (const garment of look.garments) {
    const row = el('section', 'vitrine-row');
    row.dataset.wear = garment.wear;
    const heading = el('h3', 'vitrine-row-title', WEAR_NAMES[garment.wear] || garment.wear);
    row.append(heading);
    const list = el('ol', 'vitrine-cards');
    for (const product of garment.products) list.append(card(product, indexUrl));
    row.append(list);
    rows.append(row);
  }
  return rows;
}

function card(product, indexUrl) {
  const item = el('li', 'vitrine-card');
  const href = safeUrl(product.link, indexUrl);
  const body = href ? el('a') : el('div');
  if (href) {
    body.href = href;
    body.rel = 'noopener';
  }
  const src = safeUrl(product.image, indexUrl);
  if (src) {
    const img = el('img');
    img.src = src;
    img.alt = '';
    img.loading = 'lazy';
    img.decoding = 'async';
    body.append(img);
  }
  body.append(el('span', 'vitrine-title', product.title));
  body.append(el('span', 'vitrine-price', product.price));
  item.append(body);
  item.title = `similarity ${product.similarity.toFixed(3)}`;
  return item;
}

/** The product images `renderRows` would show, e.g. to fetch them before the rows are shown. */
export function productImages(look, indexUrl) {
  return look.garments.flatMap((g) => g.products.map((p) => safeUrl(p.image, indexUrl))).filter(Boolean);
}

/** The garment boxes over the photo, as percentages so they follow any resizing. */
export function renderBoxes(look) {
  const layer = el('div', 'vitrine-boxes');
  layer.setAttribute('aria-hidden', 'true');
  for (const garment of look.garments) {
    const { x0, y0, x1, y1 } = garment.rect;
    const box = el('div', `vitrine-box vitrine-box-${garment.wear}`);
    Object.assign(box.style, {
      left: `${x0 * 100}%`, top: `${y0 * 100}%`, width: `${(x1 - x0) * 100}%`, height: `${(y1 - y0) * 100}%`,
    });
    box.append(el('span', 'vitrine-box-label', WEAR_NAMES[garment.wear] || garment.wear));
    layer.append(box);
  }
  return layer;
}

/** "decode 12 ms · ssd 80 ms · ... · total 310 ms" (the core times the total itself). */
export function timingsText(look) {
  return look.timings.map((t) => `${t.stage.replace('_', ' ')} ${Math.round(t.ms)} ms`).join(' · ');
}

/** A sentence for the verdict: "Full shot." / "Not a full shot: feet not visible." */
export function verdictText(look) {
  const m = look.verdict.message;
  return `${m.charAt(0).toUpperCase()}${m.slice(1)}.`;
}

/** The status while the products are still being found, from the look so far (the preview of
 * VitrineClient.recommend): "Finding products for the top, bottom…", after the verdict's
 * sentence when `withVerdict` (for a page that shows no verdict of its own); '' when no garment
 * was located. */
export function previewText(preview, withVerdict = false) {
  const wears = preview.garments.map((g) => g.wear).join(', ');
  if (!wears) return '';
  const finding = `Finding products for the ${wears}…`;
  return withVerdict ? `${verdictText(preview)} ${finding}` : finding;
}
