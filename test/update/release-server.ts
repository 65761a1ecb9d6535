import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { atFileEnd } from '../helpers/file-guard.js';

export function makeKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export interface ReleaseSpec {
  version: string;
  min_version?: string;
  boot: Buffer;
  root: Buffer;
  /** Signs with this key (the box's, or a stranger's for a bad signature). */
  key: KeyObject;
  /** Replaces the root part's file after the manifest was signed (a tampered artifact). */
  tamperRoot?: Buffer;
  /** The size the manifest claims for root (to claim more than the partition holds). */
  rootSize?: number;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A release directory as build-update lays it out: manifest.json, its .sig, and the gzip parts. */
export function writeRelease(dir: string, spec: ReleaseSpec): void {
  mkdirSync(dir, { recursive: true });
  const parts = (['boot', 'root'] as const).map((name) => {
    const data = spec[name];
    const gz = gzipSync(data);
    const file = name === 'boot' ? 'boot.vfat.gz' : 'root.ext4.gz';
    writeFileSync(join(dir, file), gz);
    return { name, file, size: name === 'root' && spec.rootSize ? spec.rootSize : data.length, sha256: sha256(data), compressed_size: gz.length, compressed_sha256: sha256(gz) };
  });
  const manifest = Buffer.from(
    JSON.stringify({ format: 1, version: spec.version, ...(spec.min_version ? { min_version: spec.min_version } : {}), release_url: `https://example.org/roombox/${spec.version}`, created: '2026-01-01T00:00:00Z', parts }, null, 2),
  );
  writeFileSync(join(dir, 'manifest.json'), manifest);
  writeFileSync(join(dir, 'manifest.json.sig'), `${sign(null, manifest, spec.key).toString('base64')}\n`);
  if (spec.tamperRoot) writeFileSync(join(dir, 'root.ext4.gz'), gzipSync(spec.tamperRoot));
}

/**
 * A plain node:http server for a release channel's files (and redirects to them). `hold()` keeps part downloads waiting
 * (an install that is still running) until the returned release function is called.
 */
export class ReleaseServer {
  private server?: Server;
  private gate?: Promise<void>;
  readonly requests: string[] = [];

  constructor(readonly root: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      this.requests.push(path);
      if (path.includes('..')) return void res.writeHead(400).end();
      // `/moved/<path>` answers with a redirect to `/<path>`, as release hosting on a CDN does.
      if (path.startsWith('/moved/')) return void res.writeHead(302, { location: path.slice('/moved'.length) }).end();
      const send = () => {
        const stream = createReadStream(join(this.root, path));
        stream.once('error', () => res.writeHead(404).end());
        stream.once('open', () => {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          stream.pipe(res);
        });
      };
      if (this.gate && path.endsWith('.gz')) void this.gate.then(send);
      else send();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    atFileEnd(() => this.stop());
    return this;
  }

  url(channel: string): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/${channel}/manifest.json`;
  }

  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  async stop(): Promise<void> {
    if (!this.server?.listening) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}
