import { existsSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { BoxEventInput, EventDetail } from '../api/events.js';
import type { BoxContext } from '../context.js';
import type { TimerHandle } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import { CaptureExtension } from '../capture/index.js';
import { DiskGuard } from './disk-guard.js';
import { repairSegment } from './flac-format.js';
import { InputRecorder, RecorderError, type RecordingEvent, type RecordingState } from './recorder.js';
import { registerRecordingControls } from './controls.js';
import { SegmentLog } from './segment-log.js';
import { SegmentUploader } from './uploader.js';

/** Disk check and fsync of the files being written. */
export const SYNC_MS = 1000;
/** The retained state's duration and size are refreshed this often while a file is written. */
export const STATE_REFRESH_MS = 5000;
/** Seconds of raw audio per recording input the disk must keep free for recording to go on. */
export const RESERVE_SECONDS = 2;

export function createRecordingExtensions(ctx: BoxContext, features: Extension[]): Extension[] {
  const capture = features.find((e): e is CaptureExtension => e instanceof CaptureExtension);
  return capture ? [new RecordingExtension(ctx, capture)] : [];
}

/** What the controls (console, MQTT, Home Assistant) need from the recording feature. */
export interface RecordingControl {
  inputs(): string[];
  startRecording(input: string): void;
  stopRecording(input: string): Promise<void>;
  status(input: string): RecordingState & { input: string; room: string };
}

/**
 * Recording of every capture input into FLAC segments, the disk guard and the off-box copy.
 * Starts after the capture extension (its inputs exist) and stops before it, so every segment is
 * closed cleanly while the samples still flow.
 */
export class RecordingExtension implements Extension, RecordingControl {
  readonly name = 'recording';
  readonly recorders = new Map<string, InputRecorder>();
  readonly segments: SegmentLog;
  uploader?: SegmentUploader;
  private guard?: DiskGuard;
  private timer?: TimerHandle;
  private ticks = 0;

  constructor(
    private readonly ctx: BoxContext,
    private readonly capture: CaptureExtension,
  ) {
    this.segments = new SegmentLog(() => {
      const db = ctx.database();
      if (!db) throw new Error('recording keeps its files in the database, which is not in use (see storage_error)');
      return db;
    });
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const cfg = ctx.config.record;
    mkdirSync(cfg.dir, { recursive: true });
    await this.finishLeftovers();
    const iso = () => new Date(ctx.clock.now()).toISOString();
    for (const p of ctx.profile.inputs) {
      const input = this.capture.inputs.get(p.name)!;
      const room = p.room ?? p.name;
      const event = <K extends RecordingEvent>(type: K, detail: EventDetail<K>) => ctx.bus.emit('box.event', { type, input: p.name, detail } as BoxEventInput);
      const recorder = new InputRecorder({
        input: p.name,
        room,
        boxId: ctx.config.id,
        rate: p.rate,
        channels: p.channels,
        format: p.format,
        dir: cfg.dir,
        segmentS: cfg.segmentS,
        clock: ctx.clock,
        log: ctx.log,
        onOpened: (path, startedAt) => void this.segments.opened(path, p.name, startedAt).catch((err) => ctx.log.error({ err: err.message }, 'segment log failed')),
        onClosed: (seg) => {
          void this.segments
            .closed(seg.path, seg.frames, seg.bytes)
            .then(() => this.uploader?.kick())
            .catch((err) => ctx.log.error({ err: err.message }, 'segment log failed'));
          event('record_segment_closed', { file: seg.path, started_at: seg.startedAt, duration_s: seg.frames / p.rate, bytes: seg.bytes });
        },
        onState: (s) => input.extendState({ ...s }),
        onEvent: event,
      });
      this.recorders.set(p.name, recorder);
      input.addTap(recorder);
      recorder.publish();
    }
    this.guard = new DiskGuard({
      dir: cfg.dir,
      minFreeBytes: cfg.minFreeMb * 1024 * 1024,
      reserveBytes: () => [...this.recorders.values()].filter((r) => r.recording).reduce((sum, r) => sum + RESERVE_SECONDS * r.rawBytesPerSecond, 0) + (this.anyRecording() ? 64 * 1024 : 0),
      segments: this.segments,
      log: ctx.log,
      now: iso,
      onLow: (low, free) => {
        for (const r of this.recorders.values()) if (r.currentAlarm === null || r.currentAlarm === 'disk_low') r.setAlarm(low ? 'disk_low' : null);
        const detail = { free_mb: Math.round(free / 104857.6) / 10, min_free_mb: cfg.minFreeMb };
        ctx.bus.emit('box.event', { type: low ? 'record_disk_low' : 'record_disk_ok', detail });
        ctx.log.warn(detail, low ? 'recording disk low' : 'recording disk space back');
      },
      onDeleted: (path) => ctx.bus.emit('box.event', { type: 'record_segment_deleted', detail: { file: path, reason: 'disk_full' } }),
      onFull: async (free) => {
        const stopping = [...this.recorders.values()].filter((r) => r.recording);
        if (stopping.length === 0) return;
        ctx.log.error({ freeBytes: free }, 'recording disk full and nothing copied off the box to delete: recording stops');
        await Promise.all(stopping.map((r) => r.stop('disk_full')));
      },
    });
    if (cfg.upload) {
      this.uploader = new SegmentUploader({
        target: cfg.upload,
        keyFile: cfg.uploadKeyFile,
        knownHostsFile: join(ctx.config.dataDir, 'upload_known_hosts'),
        controlDir: ctx.config.dataDir,
        dir: cfg.dir,
        segments: this.segments,
        clock: ctx.clock,
        log: ctx.log,
        now: iso,
        onUploaded: (path) => ctx.bus.emit('box.event', { type: 'record_uploaded', detail: { file: path } }),
        onFailed: (path, error, attempt) => {
          if (attempt === 1) ctx.bus.emit('box.event', { type: 'record_upload_failed', detail: { file: path, error } });
        },
      });
      this.uploader.start();
    }
    registerRecordingControls(ctx, this);
    this.timer = ctx.clock.setInterval(() => this.tick(), SYNC_MS);
    for (const [name, r] of this.recorders) if (cfg.atStart || ctx.state.get<boolean>(stateKey(name)) === true) r.start();
  }

  async stop(): Promise<void> {
    if (this.timer) this.ctx.clock.clear(this.timer);
    await this.uploader?.stop();
    await Promise.all([...this.recorders.values()].map((r) => r.stop('shutdown')));
  }

  inputs(): string[] {
    return [...this.recorders.keys()];
  }

  private recorder(name: string): InputRecorder {
    const r = this.recorders.get(name);
    if (!r) throw new RecorderError(`unknown input '${name.slice(0, 32)}' (inputs: ${this.inputs().join(', ')})`);
    return r;
  }

  startRecording(name: string): void {
    this.recorder(name).start();
    this.ctx.state.set(stateKey(name), true);
  }

  async stopRecording(name: string): Promise<void> {
    await this.recorder(name).stop('command');
    this.ctx.state.set(stateKey(name), false);
  }

  status(name: string): RecordingState & { input: string; room: string } {
    const r = this.recorder(name);
    const room = this.ctx.profile.inputs.find((p) => p.name === name)?.room ?? name;
    return { input: name, room, ...r.state };
  }

  private anyRecording(): boolean {
    return [...this.recorders.values()].some((r) => r.recording);
  }

  private tick(): void {
    this.ticks++;
    for (const r of this.recorders.values()) {
      r.sync();
      if (this.ticks % (STATE_REFRESH_MS / SYNC_MS) === 0 && r.state.record_file) r.publish();
    }
    this.guard?.check().catch((err) => this.ctx.log.error({ err: (err as Error).message }, 'recording disk check failed'));
  }

  /**
   * Segments the box was writing when it died (SIGKILL, power cut) are cut after their last
   * whole frame and given their sample count; files the log does not know are adopted.
   */
  private async finishLeftovers(): Promise<void> {
    const { dir } = this.ctx.config.record;
    const finish = async (path: string, input: string, startedAt: string, known: boolean) => {
      const full = join(dir, path);
      if (!existsSync(full)) {
        await this.segments.deleted(path, new Date(this.ctx.clock.now()).toISOString());
        return;
      }
      try {
        const r = repairSegment(full);
        if (known) await this.segments.closed(path, r.samples, r.bytes);
        else await this.segments.adopted(path, input, startedAt, r.samples, r.bytes);
        this.ctx.log.warn({ file: path, samples: r.samples, cutBytes: r.cut }, 'recording segment left open by the last run finished');
        this.ctx.bus.emit('box.event', { type: 'record_segment_recovered', input, detail: { file: path, duration_s: r.samples / (this.rateOf(input) ?? 1), cut_bytes: r.cut } });
      } catch (err) {
        // No audio frame made it (the header itself is cut off): nothing to keep.
        this.ctx.log.warn({ file: path, err: (err as Error).message }, 'unusable recording leftover removed');
        unlinkSync(full);
        if (known) await this.segments.deleted(path, new Date(this.ctx.clock.now()).toISOString());
      }
    };
    for (const row of await this.segments.open()) await finish(row.path, row.input, row.started_at, true);
    for (const path of listSegments(dir)) {
      if (await this.segments.get(path)) continue;
      const room = path.split('/')[0]!;
      const input = this.ctx.profile.inputs.find((p) => (p.room ?? p.name) === room)?.name ?? room;
      const m = /(\d{4}-\d\d-\d\d)\/(\d\d)-(\d\d)-(\d\d)/.exec(path);
      await finish(path, input, m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.000000Z` : '', false);
    }
  }

  private rateOf(input: string): number | undefined {
    return this.ctx.profile.inputs.find((p) => p.name === input)?.rate;
  }
}

function stateKey(input: string): string {
  return `record.${input}`;
}

/** Every `<room>/<day>/<time>.flac` under dir. */
function listSegments(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => /^[^/]+\/\d{4}-\d\d-\d\d\/[^/]+\.flac$/.test(p)).sort();
}
