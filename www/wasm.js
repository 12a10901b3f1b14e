// Which of vitrine's two wasm builds this browser runs (scripts/build-web.sh makes both, with the
// same JS glue). "relaxed" adds wasm relaxed-simd to simd128: tract's matrix and depthwise
// kernels then use a fused multiply-add, 7-9% off each model in Chromium (BENCHMARKS.md).
// Browsers without relaxed-simd would reject that module outright, so they get "simd128".
import { relaxedSimd } from 'wasm-feature-detect';

const URLS = {
  relaxed: new URL('../pkg/vitrine_relaxed_bg.wasm', import.meta.url),
  simd128: new URL('../pkg/vitrine_bg.wasm', import.meta.url),
};

/** The build to run: `forced` ("relaxed" or "simd128", e.g. to compare them) or the best this
 * browser validates. Returns { build, url }. */
export async function wasmBuild(forced) {
  if (forced && !URLS[forced]) {
    throw new Error(`unknown wasm build "${forced}": use ${Object.keys(URLS).map((k) => `"${k}"`).join(' or ')}`);
  }
  const build = forced || ((await relaxedSimd()) ? 'relaxed' : 'simd128');
  return { build, url: URLS[build].href };
}

/** The file names of both builds in this release (to tell an earlier release's from ours). */
export function wasmFiles() {
  return Object.values(URLS).map((url) => url.pathname.split('/').pop());
}
