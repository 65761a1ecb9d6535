import { setTimeout as delay } from 'node:timers/promises';

/**
 * Retries `attempt` until it resolves or `timeoutMs` has passed, then fails with the last error.
 * For a condition that only shows when asked (a command's answer, a server coming up), never as
 * a sleep in disguise: an attempt should wait for the event it expects with its own bound. One
 * that fails at once (connection refused) is retried after `retryMs`, so it does not spin.
 */
export async function eventually<T>(attempt: () => Promise<T>, opts: { timeoutMs: number; what: string; retryMs?: number }): Promise<T> {
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    const started = Date.now();
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() >= end) throw new Error(`${opts.what}: still failing after ${opts.timeoutMs} ms: ${(err as Error).message}`);
      const retryMs = opts.retryMs ?? 50;
      if (Date.now() - started < retryMs) await delay(retryMs);
    }
  }
}
