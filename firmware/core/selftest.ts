/** Checks that extensions contribute to `selftest`: each answers PASS or FAIL with a detail. */
export interface SelfCheckResult {
  ok: boolean;
  detail: string;
}

export interface SelfCheck {
  name: string;
  run(): Promise<SelfCheckResult>;
}

export class SelfTestRegistry {
  private readonly checks: SelfCheck[] = [];

  register(check: SelfCheck): void {
    this.checks.push(check);
  }

  list(): readonly SelfCheck[] {
    return this.checks;
  }

  /** Runs every check, each bounded by timeoutMs; a throwing check is a FAIL. */
  async runAll(timeoutMs = 5000): Promise<{ name: string; ok: boolean; detail: string }[]> {
    return Promise.all(
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
  }
}
