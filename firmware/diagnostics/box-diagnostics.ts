import type { Diagnostics } from '../api/box.js';
import type { Extension } from '../core/extension.js';
import type { LogRing } from '../core/logger.js';
import type { SafeModeView } from '../core/safe-mode-view.js';
import type { SelfTestRegistry } from '../core/selftest.js';
import type { RunRecord } from './run-record.js';

/** The retained P/diagnostics: restart reason, boot count, last error, version, last selftest, safe mode. */
export class BoxDiagnostics implements Extension {
  readonly name = 'box-diagnostics';
  private value?: Diagnostics;

  constructor(
    private readonly run: RunRecord,
    private readonly safeMode: SafeModeView,
    private readonly version: string,
    private readonly logRing: LogRing,
    private readonly selftest: SelfTestRegistry,
    /** Publishes the retained P/diagnostics. */
    private readonly publishValue: (value: Diagnostics) => void,
  ) {}

  start(): void {
    this.value = {
      restart_reason: this.run.reason,
      boot_count: this.run.bootCount,
      last_error: this.logRing.lastError ?? null,
      version: this.version,
      selftest: 'not run',
      selftest_failed: [],
      safe_mode: this.safeMode.active,
      unclean_starts: this.safeMode.uncleanStarts,
    };
    this.safeMode.onChange(() => this.update({ safe_mode: this.safeMode.active, unclean_starts: this.safeMode.uncleanStarts }));
    this.logRing.onError((message) => this.update({ last_error: message.slice(0, 250) }));
    this.selftest.onResult((results) => {
      const failed = results.filter((r) => !r.ok).map((r) => r.name);
      this.update({ selftest: failed.length ? 'FAIL' : 'PASS', selftest_failed: failed });
    });
    this.publish();
  }

  stop(): void {}

  private update(change: Partial<Diagnostics>): void {
    if (!this.value) return;
    this.value = { ...this.value, ...change };
    this.publish();
  }

  private publish(): void {
    this.publishValue(this.value!);
  }
}
