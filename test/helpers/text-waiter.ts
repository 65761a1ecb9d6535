/**
 * Text that arrives in pieces (a pty, a child's output) and waits on it: `wait()` resolves as soon
 * as the text since `from` matches, checked on every arrival, never by polling.
 */
export class TextWaiter {
  value = '';
  private failure?: Error;
  private waiters = new Set<() => void>();

  constructor(private readonly what: string) {}

  append(piece: string): void {
    this.value += piece;
    for (const check of [...this.waiters]) check();
  }

  /** Every current and later wait rejects with `err` (the source is gone). */
  fail(err: Error): void {
    this.failure ??= err;
    for (const check of [...this.waiters]) check();
  }

  wait(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.waiters.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        if (pattern.test(this.value.slice(from))) {
          done();
          resolve(this.value.slice(from));
        } else if (this.failure) {
          done();
          reject(new Error(`${this.what} did not show ${pattern}: ${this.failure.message}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.what} did not show ${pattern} within ${timeoutMs} ms; got: ${JSON.stringify(this.value.slice(from).slice(-800))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
