import { after } from 'node:test';

/**
 * The last word of a test file: after its last test, whatever a helper registered here (processes
 * still running, clients still connected) is ended, as a test's own `finally` or `after` should
 * have done. A file that still holds something open 10 s later fails, naming what it holds,
 * instead of hanging the run until the runner's bound.
 */
const cleanups = new Set<() => unknown>();

/** Runs `fn` when the file ends unless the returned function was called first. */
export function atFileEnd(fn: () => unknown): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

after(
  async () => {
    for (const fn of [...cleanups].reverse()) {
      try {
        await fn();
      } catch {
        /* ending anyway */
      }
    }
    cleanups.clear();
    setTimeout(() => {
      process.stderr.write(`test file still holds ${process.getActiveResourcesInfo().join(', ')} 10 s after its last test; ending it as failed\n`);
      process.exit(1);
    }, 10_000).unref();
  },
  { timeout: 60_000 },
);
