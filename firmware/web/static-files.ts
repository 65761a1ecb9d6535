import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface StaticFile {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** The UI folder (`ui/` at the package root), found from here in the sources and in dist/. */
export function uiRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'ui', 'index.html'))) return join(dir, 'ui');
    dir = dirname(dir);
  }
  throw new Error('the web UI folder (ui/index.html) is missing from the install');
}

/**
 * Every file the page needs, read once at start and compressed once when first asked for: the UI
 * folder under `/` and the two libraries from node_modules under `/vendor/`. Nothing is fetched
 * from the internet.
 */
export function loadStaticFiles(root = uiRoot()): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const add = (urlPath: string, file: string) => {
    const body = readFileSync(file);
    const etag = `"${body.length.toString(36)}-${createHash('sha1').update(body).digest('base64url').slice(0, 12)}"`;
    // Compressed on first request, not at start: level 9 over every file delays `online`.
    let gzip: Buffer | undefined;
    files.set(urlPath, {
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      body,
      get gzip() {
        return (gzip ??= gzipSync(body, { level: 9 }));
      },
      etag,
    });
  };
  for (const name of readdirSync(root)) if (TYPES[extname(name)]) add(`/${name}`, join(root, name));
  add('/vendor/preact.mjs', fileURLToPath(import.meta.resolve('preact')));
  add('/vendor/htm.mjs', fileURLToPath(import.meta.resolve('htm')));
  files.set('/', files.get('/index.html')!);
  return files;
}
