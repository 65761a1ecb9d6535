import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Manifest } from '../api/update.js';
import { getBytes } from './http-get.js';
import { UpdateError } from './update-error.js';

const MAX_MANIFEST_BYTES = 64 * 1024;

export interface Release {
  manifest: Manifest;
  /** Where each part's file is fetched from (beside the manifest). */
  partUrl(file: string): string;
}

/** The baked-in ed25519 public key (PEM, SPKI). */
export function loadUpdateKey(path: string): KeyObject {
  const key = createPublicKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path}: an ${key.asymmetricKeyType} key, expected ed25519`);
  return key;
}

/**
 * Fetches `manifest.json` and `manifest.json.sig` and checks the signature over the manifest's
 * exact bytes before reading anything in them.
 */
export async function fetchRelease(manifestUrl: string, key: KeyObject): Promise<Release> {
  const [bytes, sig] = await Promise.all([getBytes(manifestUrl, MAX_MANIFEST_BYTES), getBytes(`${manifestUrl}.sig`, 1024)]);
  const signature = Buffer.from(sig.toString('ascii').trim(), 'base64');
  if (signature.length !== 64 || !verify(null, bytes, key, signature)) throw new UpdateError('bad signature: the manifest is not signed with this box\'s update key');
  let manifest: unknown;
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new UpdateError('the signed manifest is not JSON');
  }
  // TypeBox's checker (a large module) is loaded only when a manifest arrives, not at every start.
  const { Value } = await import('@sinclair/typebox/value');
  if (!Value.Check(Manifest, manifest)) {
    const first = [...Value.Errors(Manifest, manifest)][0];
    throw new UpdateError(`the signed manifest is malformed: ${first ? `${first.path || '/'} ${first.message}` : 'unknown'}`);
  }
  const names = manifest.parts.map((p) => p.name);
  if (new Set(names).size !== names.length) throw new UpdateError('the signed manifest names a part twice');
  return { manifest, partUrl: (file) => new URL(file, manifestUrl).href };
}
