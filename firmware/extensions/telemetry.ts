import { readFile, statfs } from 'node:fs/promises';
import { loadavg } from 'node:os';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import type { MqttLink } from '../mqtt/link.js';
import type { Publisher } from '../mqtt/publisher.js';
import type { Outbox } from '../outbox/outbox.js';

export interface TelemetryBody {
  uptime_s: number;
  load1: number;
  rss_mb: number;
  disk_free_mb: number | null;
  outbox_depth: number;
  reconnects: number;
  cpu_temp_c?: number;
  /** Present while the database cannot be written: what the outbox holds is in memory only. */
  storage_error?: string;
}

/** P/telemetry every ROOMBOX_TELEMETRY_S, through the outbox like events. */
export class Telemetry implements Extension {
  readonly name = 'telemetry';
  private timer?: TimerHandle;
  private readonly startedAt: number;

  constructor(
    private readonly periodS: number,
    private readonly dataDir: string,
    private readonly publisher: Publisher,
    private readonly outbox: Outbox,
    private readonly link: MqttLink,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly thermalFile = '/sys/class/thermal/thermal_zone0/temp',
  ) {
    this.startedAt = clock.now();
  }

  start(): void {
    this.timer = this.clock.setInterval(() => void this.report(), this.periodS * 1000);
  }

  stop(): void {
    if (this.timer) this.clock.clear(this.timer);
  }

  uptimeS(): number {
    return Math.round((this.clock.now() - this.startedAt) / 1000);
  }

  async sample(): Promise<TelemetryBody> {
    const body: TelemetryBody = {
      uptime_s: this.uptimeS(),
      load1: Math.round(loadavg()[0]! * 100) / 100,
      rss_mb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
      disk_free_mb: await diskFreeMb(this.dataDir),
      outbox_depth: this.outbox.depth(),
      reconnects: this.link.reconnects,
    };
    const storageError = this.outbox.stats().writeError;
    if (storageError) body.storage_error = storageError;
    const temp = await cpuTempC(this.thermalFile);
    if (temp !== undefined) body.cpu_temp_c = temp;
    return body;
  }

  async report(): Promise<void> {
    try {
      this.publisher.telemetry({ ...(await this.sample()) });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'telemetry failed');
    }
  }
}

async function diskFreeMb(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Math.round((s.bavail * s.bsize) / 1048576);
  } catch {
    return null;
  }
}

async function cpuTempC(file: string): Promise<number | undefined> {
  try {
    const milli = Number((await readFile(file, 'utf8')).trim());
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : undefined;
  } catch {
    return undefined;
  }
}
