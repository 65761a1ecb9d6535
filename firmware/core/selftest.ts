/** Checks that extensions contribute to `selftest`: each answers PASS or FAIL with a detail. */
export interface SelfCheckResult {
  ok: boolean;
  detail: string;
}

export interface SelfCheck {
  name: string;
  run(): Promise<SelfCheckResult>;
}

export interface SelfTestResult {
  name: string;
  ok: boolean;
  detail: string;
}

export class SelfTestRegistry {
  private readonly checks: SelfCheck[] = [];
  private readonly listeners: ((results: SelfTestResult[]) => void)[] = [];

  /** Called with the results of every run. */
  onResult(fn: (results: SelfTestResult[]) => void): void {
    this.listeners.push(fn);
  }

  register(check: SelfCheck): void {
    this.checks.push(check);
  }

  list(): readonly SelfCheck[] {
    return this.checks;
  }

  /** Runs every check, each bounded by timeoutMs; a throwing check is a FAIL. */
  async runAll(timeoutMs = 5000): Promise<SelfTestResult[]> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          const r = await Promise.race([
            c.run(),
            new Promise<SelfCheckResult>((resolve) => setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs).unref()),
          ]);
          return { name: c.name, ...r };
        } catch (err) {
          return { name: c.name, ok: false, detail: (err as Error).message };
        }
      }),
    );
    for (const fn of this.listeners) fn(results);
    return results;
  }
}
