import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The web page password, stored as one line: `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`.
 * Only this line is ever stored; the password itself is never written anywhere.
 */
const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;
const LINE_RE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, bytes, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS.N, PARAMS.r, PARAMS.p, KEY_BYTES);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function isPasswordHash(line: string): boolean {
  const m = LINE_RE.exec(line);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return N >= 1024 && N <= 1 << 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

export async function verifyPassword(password: string, line: string): Promise<boolean> {
  const m = LINE_RE.exec(line);
  if (!m || !isPasswordHash(line)) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await derive(password, Buffer.from(m[4]!, 'base64'), Number(m[1]), Number(m[2]), Number(m[3]), expected.length);
  return timingSafeEqual(key, expected);
}
