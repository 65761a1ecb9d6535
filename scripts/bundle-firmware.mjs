#!/usr/bin/env node
// Bundles the firmware's entry point into <outdir>/main.js (default dist/firmware), over the
// main.js tsc wrote there: one file instead of some 500 modules to find, read and link at every
// start (docs/performance.md, Start-up). Code behind a dynamic import() (a feature the
// configuration may not use, a subcommand) goes into chunks/, loaded only when imported.
// Packages with native addons, which find their .node files from their own folder, stay in
// node_modules. The rest of tsc's output stays beside it, for tools that import single modules.
//   node scripts/bundle-firmware.mjs [--outdir DIR] [--sourcemap]
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, transform } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' }, sourcemap: { type: 'boolean' } } });
const outdir = values.outdir ?? join(ROOT, 'dist', 'firmware');

/** Native addons (and the packages that load them) plus the optional ones ws may require. */
const EXTERNAL = ['sqlite3', 'serialport', 'i2c-bus', 'onoff', 'unix-dgram', 'alsa-capture', 'bufferutil', 'utf-8-validate'];

rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'firmware/main.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // Bundled CommonJS packages call require() for Node's own modules: give them one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: values.sourcemap ? 'linked' : false,
  legalComments: 'none',
  logLevel: 'warning',
});

/*
 * V8 keeps every module's source text in the heap, one byte a character if the text is Latin-1
 * and two otherwise. esbuild escapes non-ASCII characters in code (its default charset) but keeps
 * comments as written, and one dash in a dependency's comment made a 650 kB chunk cost 1.3 MB
 * (docs/performance.md, Memory). Such characters become '?' (one UTF-16 unit each, so the source
 * map's columns still hold), and only if the code without comments is unchanged by it.
 */
for (const file of [join(outdir, 'main.js'), ...readdirSync(join(outdir, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => join(outdir, 'chunks', f))]) {
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) continue;
  const ascii = text.replace(/[^\x00-\x7f]/g, '?');
  const code = async (t) => (await transform(t, { format: 'esm', minifyWhitespace: true, legalComments: 'none', charset: 'utf8' })).code;
  if ((await code(text)) !== (await code(ascii))) throw new Error(`${file}: non-ASCII characters outside comments`);
  writeFileSync(file, ascii);
}
