// The demo page: photo in (file, drop, paste, webcam, samples), look out (verdict, boxes over
// the photo, three rows of products, timings). All the work happens in the worker.
import { VitrineClient } from './client.js';
import { previewText, renderBoxes, renderRows, timingsText, verdictText } from './render.js';
import lookCss from './look.css';

const INDEX_URL = new URL('index/clothing/', document.baseURI).href;
const $ = (id) => document.getElementById(id);

const style = document.createElement('style');
style.textContent = lookCss;
document.head.append(style);

const progress = new Map();
const client = new VitrineClient({
  modelsUrl: new URL('models/', __webpack_public_path__).href,
  indexUrl: INDEX_URL,
  onProgress: showProgress,
  // ?wasm=simd128 runs the build for browsers without relaxed-simd (to compare the two).
  wasm: new URLSearchParams(location.search).get('wasm') || undefined,
});

// The page's own files for offline visits (the wasm, models and index are cached by the worker).
navigator.serviceWorker?.register('sw.js').catch(() => {});

let photoUrl = null;

client.load().then(
  ({ ms, wasmMs, build }) => {
    $('status').textContent = `Ready (loaded in ${(ms / 1000).toFixed(1)} s). Choose a photo.`;
    $('progress').hidden = true;
    document.body.dataset.wasm = build;
    Object.assign(document.body.dataset, { loadMs: Math.round(ms), wasmMs: Math.round(wasmMs) });
    document.body.dataset.ready = 'true';
  },
  (error) => {
    $('status').textContent = 'vitrine could not load.';
    showError(error);
  },
);

function showProgress({ file, loaded, total, cached }) {
  let item = progress.get(file);
  if (!item) {
    item = document.createElement('li');
    const label = document.createElement('span');
    const bar = document.createElement('progress');
    bar.setAttribute('aria-label', file);
    item.append(label, bar);
    $('progress').append(item);
    progress.set(file, item);
  }
  const [label, bar] = item.children;
  label.textContent = `${file}: ${(loaded / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB${cached ? ' (cached)' : ''}`;
  if (total) {
    bar.max = total;
    bar.value = loaded;
  }
}

function showError(error) {
  $('error').textContent = error.message;
  $('error').hidden = false;
}

function shop(photo) {
  // A photo picked during a look is looked at after it (only the last one picked: VitrineClient.latest).
  if (client.busy) $('status').textContent = `Looking at ${photo.name || 'your photo'} next…`;
  client.latest(() => lookAt(photo));
}

async function lookAt(photo) {
  $('error').hidden = true;
  $('status').textContent = `Looking at ${photo.name || 'your photo'}…`;
  try {
    // The verdict and the boxes first (the crops are still being matched), then the rows.
    const look = await client.recommend(photo, $('audience').value, (preview) => {
      showPhoto(photo);
      show(preview);
      const finding = previewText(preview);
      if (finding) $('status').textContent = finding;
      document.body.dataset.previews = Number(document.body.dataset.previews || 0) + 1;
    });
    show(look);
    const found = look.garments.map((g) => g.wear).join(', ');
    $('status').textContent = found ? `Products for the ${found} are below.` : 'No garments to shop in this photo.';
  } catch (error) {
    $('status').textContent = 'That photo did not work; try another one.';
    showError(error);
  } finally {
    document.body.dataset.looks = Number(document.body.dataset.looks || 0) + 1;
  }
}

function showPhoto(photo) {
  if (photoUrl) URL.revokeObjectURL(photoUrl);
  photoUrl = URL.createObjectURL(photo);
  $('photo').src = photoUrl;
}

/** The look (or the look so far: no products yet) over the photo and in the rows. */
function show(look) {
  const frame = document.querySelector('.photo-frame');
  frame.querySelector('.vitrine-boxes')?.remove();
  frame.append(renderBoxes(look));
  $('verdict').textContent = verdictText(look);
  $('verdict').dataset.fullShot = look.verdict.full_shot;
  $('rows').replaceChildren(renderRows(look, INDEX_URL));
  $('timings').textContent = timingsText(look);
  $('result').hidden = false;
}

// File picker, drop, paste.
$('file').addEventListener('change', () => {
  const [file] = $('file').files;
  if (file) shop(file);
  $('file').value = '';
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = [...e.dataTransfer.files].find((f) => f.type.startsWith('image/')) || e.dataTransfer.files[0];
  if (file) shop(file);
});
document.addEventListener('paste', (e) => {
  const item = [...e.clipboardData.items].find((i) => i.kind === 'file');
  if (item) shop(item.getAsFile());
});

// Sample looks, served beside the page.
fetch('samples/samples.json')
  .then((r) => (r.ok ? r.json() : []))
  .then((samples) => {
    for (const { file, label } of samples) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sample';
      button.setAttribute('aria-label', `Sample look: ${label}`);
      const img = document.createElement('img');
      img.src = `samples/${file}`;
      img.alt = '';
      button.append(img);
      button.addEventListener('click', async () => {
        const blob = await (await fetch(`samples/${file}`)).blob();
        shop(new File([blob], file, { type: blob.type }));
      });
      li.append(button);
      $('samples').append(li);
    }
  })
  .catch(() => {});

// Webcam: a still from the camera, as a JPEG, never uploaded.
let stream = null;
$('webcam').addEventListener('click', async () => {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' } });
  } catch (error) {
    showError(new Error(`The webcam is not available (${error.message}); choose a photo instead.`));
    return;
  }
  $('video').srcObject = stream;
  await $('video').play();
  $('camera').hidden = false;
  $('shoot').focus();
});
function stopCamera() {
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  $('camera').hidden = true;
  $('webcam').focus();
}
$('camera-cancel').addEventListener('click', stopCamera);
$('shoot').addEventListener('click', () => {
  const video = $('video');
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  stopCamera();
  canvas.toBlob((blob) => blob && shop(new File([blob], 'webcam.jpg', { type: 'image/jpeg' })), 'image/jpeg', 0.92);
});
