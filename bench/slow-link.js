// What the two slow-link benchmarks share (bench-first-visit.js, bench-widget.js): the check that
// a dist/ holds what a first visit downloads, and their tables' seconds.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { stats } from './stats.js';

/** Exits (code 2) unless `dist` has `page` and the precompressed copies scripts/serve.js sends. */
export function requireDist(dist, page) {
  if (!existsSync(path.join(dist, page))) {
    console.error(`${dist}/${page} is missing: build it with scripts/build-web.sh`);
    process.exit(2);
  }
  // Without them serve.js sends 32 MB instead of 14: not a first visit's bytes.
  if (!readdirSync(dist).some((f) => f.endsWith('.wasm.br'))) {
    console.error(`${dist} has no precompressed copies: run node scripts/compress.js ${dist} (scripts/build-web.sh does)`);
    process.exit(2);
  }
}

/** Timings in ms as "median (min-max)" seconds. */
export function seconds(ms) {
  const { median, min, max } = stats(ms);
  const sec = (v) => (v / 1000).toFixed(2);
  return `${sec(median)} (${sec(min)}-${sec(max)})`;
}
