import type { IncomingMessage } from 'node:http';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { UpdateError } from './update-error.js';

const IDLE_TIMEOUT_MS = 30_000;

const MAX_REDIRECTS = 3;

/**
 * GET `url` (http or https, following up to 3 redirects: release hosting often redirects to a
 * CDN); resolves with the response once it says 200, else fails saying why.
 */
export function getStream(url: string, signal?: AbortSignal, redirects = 0): Promise<IncomingMessage> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { signal, timeout: IDLE_TIMEOUT_MS }, (res) => {
      const location = res.headers.location;
      if (res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && location && redirects < MAX_REDIRECTS) {
        res.resume();
        const next = new URL(location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return reject(new UpdateError(`${url}: redirected to ${next.protocol} URL`));
        getStream(next.href, signal, redirects + 1).then(resolve, reject);
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        reject(new UpdateError(`${url}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      resolve(res);
    });
    // A server that stops sending mid-body is cut off too: the socket timeout covers the whole exchange.
    req.on('timeout', () => req.destroy(new UpdateError(`${url}: no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => reject(err instanceof UpdateError ? err : new UpdateError(`${url}: ${err.message}`)));
  });
}

/** A small body (manifest, signature), refused beyond `maxBytes`. */
export async function getBytes(url: string, maxBytes: number): Promise<Buffer> {
  const res = await getStream(url);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      throw new UpdateError(`${url}: larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
