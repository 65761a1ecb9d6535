import type { Extension } from './extension.js';

export interface ControllerLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Starts extensions in order and stops them in reverse; one failing extension does not stop the others. */
export class Controller {
  private started: Extension[] = [];
  constructor(
    private readonly extensions: readonly Extension[],
    private readonly log: ControllerLog,
  ) {}

  /** Extensions whose start() threw. `critical` ones abort the start instead. */
  readonly failed: { name: string; error: string }[] = [];

  async start(critical: ReadonlySet<string> = new Set()): Promise<void> {
    for (const ext of this.extensions) {
      try {
        await ext.start();
        this.started.push(ext);
      } catch (err) {
        if (critical.has(ext.name)) throw err;
        this.failed.push({ name: ext.name, error: errorMessage(err) });
        this.log.error({ extension: ext.name, err: errorMessage(err) }, 'extension failed to start');
      }
    }
  }

  async stop(): Promise<void> {
    const toStop = this.started.reverse();
    this.started = [];
    for (const ext of toStop) {
      try {
        await ext.stop();
      } catch (err) {
        this.log.error({ extension: ext.name, err: errorMessage(err) }, 'extension failed to stop');
      }
    }
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
