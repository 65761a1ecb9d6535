import { setTimeout as delay } from 'node:timers/promises';

/**
 * Retries `attempt` until it resolves or `timeoutMs` has passed, then fails with the last error.
 * For a condition that only shows when asked (a command's answer, a server coming up), never as
 * a sleep in disguise: an attempt should wait for the event it expects with its own bound. One
 * that fails at once (connection refused) is retried after `retryMs`, so it does not spin.
 */
export async function eventually<T>(
  attempt: () => Promise<T>,
  opts: { timeoutMs: number; what: string; retryMs?: number; giveUp?: (err: unknown) => boolean },
): Promise<T> {
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    const started = Date.now();
    try {
      return await attempt();
    } catch (err) {
      if (opts.giveUp?.(err)) throw err;
      if (Date.now() >= end) throw new Error(`${opts.what}: still failing after ${opts.timeoutMs} ms: ${(err as Error).message}`);
      const retryMs = opts.retryMs ?? 50;
      if (Date.now() - started < retryMs) await delay(retryMs);
    }
  }
}

/**
 * Something that changes (datagrams received, a counter): the owner calls `changed()`, and
 * `until()` resolves as soon as a condition holds, re-checked on every change, never by polling.
 */
export class Changes {
  private checks = new Set<() => void>();

  changed(): void {
    for (const check of [...this.checks]) check();
  }

  until(holds: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (holds()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!holds()) return;
        this.checks.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.checks.add(check);
    });
  }
}
