import type { InputProfile } from '../board/profile.js';
import type { BoxContext } from '../context.js';
import type { ControlFeature } from '../controls/control.js';
import type { Extension } from '../core/extension.js';
import type { TimerHandle } from '../core/clock.js';
import { readCards, readCardsText } from '../asound/cards.js';
import { SignalGeneratorSource, SimSignalSetting } from '../sim/signal-generator.js';
import { AlsaCaptureSource, loadAlsaCapture } from './alsa-source.js';
import { registerCaptureCommands } from './commands.js';
import { addInputEntities } from './entities.js';
import { CaptureInput, type LevelsReport } from './input.js';
import { resolveInput } from './match.js';
import type { SourceFactory } from './source.js';

/** How often /proc/asound is read: plugging and unplugging must be noticed within 2 s. */
export const SCAN_MS = 1000;
/** Scans that read the whole tree after /proc/asound/cards changed, while the card's files settle. */
const SETTLE_SCANS = 3;
/** Home Assistant's peak sensor gets at most one value per this long (P/input/<i>/peak). */
export const PEAK_PERIOD_MS = 1000;
/** libuv pool threads the rest of the box may want at once (fs, dns, sqlite3) besides captures. */
export const POOL_RESERVE = 4;

export function createCaptureExtensions(ctx: BoxContext): CaptureExtension[] {
  if (ctx.profile.inputs.length === 0) return [];
  return [new CaptureExtension(ctx)];
}

/** Capture inputs: discovery and hot-plug, capture, meters, alarms, their MQTT and commands. */
export class CaptureExtension implements Extension {
  readonly name = 'capture';
  readonly inputs = new Map<string, CaptureInput>();
  /** The sim board's signal per input (sim tone / sim silence). */
  readonly simSignals = new Map<string, SimSignalSetting>();
  private scanTimer?: TimerHandle;
  private stopped = false;
  private cardsText?: string;
  private fullScansLeft = SETTLE_SCANS;
  private readonly peaks = new Map<string, { max: number[]; since: number }>();
  /** The inputs as a feature: named targets (they have no controls yet). */
  readonly feature: ControlFeature<CaptureInput> = {
    noun: 'input',
    plural: 'inputs',
    controls: [],
    targets: () => this.inputs,
    label: (name) => this.ctx.profile.inputs.find((i) => i.name === name)?.label ?? name,
    describe: (name) => name,
  };

  constructor(private readonly ctx: BoxContext) {}

  start(): void {
    const { ctx } = this;
    const simulated = ctx.profile.simulated === true;
    this.checkThreadPool(simulated);
    for (const p of ctx.profile.inputs) {
      if (simulated) this.simSignals.set(p.name, new SimSignalSetting());
      const input = new CaptureInput({
        profile: p,
        clock: ctx.clock,
        bus: ctx.bus,
        log: ctx.log,
        sourceFactory: this.sourceFactory(simulated),
        levelsHz: ctx.config.levelsHz,
        silenceDbfs: ctx.config.silenceDbfs,
        silenceS: ctx.config.silenceS,
        quietLufs: ctx.config.quietLufs,
        onState: (s) => ctx.retained.set(ctx.topics.inputState(p.name), s),
        onLevels: (r) => this.publishLevels(p.name, r),
      });
      this.inputs.set(p.name, input);
      addInputEntities(ctx, p);
    }
    registerCaptureCommands(ctx, this);
    if (!simulated) {
      ctx.selftest.register({
        name: 'capture: alsa-capture',
        run: async () => {
          try {
            loadAlsaCapture();
            return { ok: true, detail: 'alsa-capture loaded' };
          } catch (err) {
            return { ok: false, detail: (err as Error).message };
          }
        },
      });
    }
    if (ctx.safeMode.active) {
      // Safe mode: no device is opened; the state says so until safe mode ends.
      for (const input of this.inputs.values()) input.announce();
      ctx.safeMode.onLeave(() => this.open());
    } else this.open();
  }

  /** The first look at the devices, then hot-plug polling. */
  private open(): void {
    if (this.stopped) return;
    const cards = readCards(this.ctx.procRoot);
    for (const p of this.ctx.profile.inputs) this.inputs.get(p.name)!.begin(resolveInput(p.match, cards));
    this.scanTimer = this.ctx.clock.setInterval(() => this.scan(), SCAN_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.scanTimer) this.ctx.clock.clear(this.scanTimer);
    await Promise.all([...this.inputs.values()].map((i) => i.stop()));
  }

  /**
   * Reads /proc/asound and tells each input where its device is. A card comes or goes only with
   * a change of /proc/asound/cards: while its text stays the same (all day, every second) the
   * card directories are not read again, which would only make garbage for the collector.
   */
  scan(): void {
    const text = readCardsText(this.ctx.procRoot);
    if (text !== this.cardsText) this.fullScansLeft = SETTLE_SCANS;
    else if (this.fullScansLeft === 0) return;
    else this.fullScansLeft--;
    this.cardsText = text;
    const cards = readCards(this.ctx.procRoot, text);
    for (const p of this.ctx.profile.inputs) this.inputs.get(p.name)!.update(resolveInput(p.match, cards));
  }

  private sourceFactory(simulated: boolean): SourceFactory {
    if (!simulated) return (input, pcm, handlers) => new AlsaCaptureSource(input, pcm, handlers);
    const available = (input: InputProfile) => resolveInput(input.match, readCards(this.ctx.procRoot)) !== undefined;
    return (input, pcm, handlers) =>
      new SignalGeneratorSource(
        { rate: input.rate, channels: input.channels, format: input.format, chunkMs: 100, clock: this.ctx.clock, setting: this.simSignals.get(input.name)!, pcm, available: () => available(input) },
        handlers,
      );
  }

  /** Levels go straight to the link at QoS 0: not retained, not queued, dropped while disconnected. */
  private publishLevels(input: string, r: LevelsReport): void {
    const { link, topics, clock } = this.ctx;
    link.publishQos0(topics.inputLevels(input), JSON.stringify(r));
    this.ctx.bus.emit('input.levels', { input, report: r });
    const now = clock.now();
    let p = this.peaks.get(input);
    if (!p) {
      p = { max: [...r.peak_dbfs], since: now };
      this.peaks.set(input, p);
    } else r.peak_dbfs.forEach((db, c) => (p!.max[c] = Math.max(p!.max[c] ?? db, db)));
    if (now - p.since >= PEAK_PERIOD_MS) {
      const payload = JSON.stringify({ ts: r.ts, peak_dbfs: p.max });
      this.peaks.delete(input);
      link.publishQos0(topics.inputPeak(input), payload);
    }
  }

  /** Each open ALSA capture holds a libuv pool thread: warn when the pool cannot fit them all. */
  private checkThreadPool(simulated: boolean): void {
    if (simulated) return;
    const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4;
    const need = this.ctx.profile.inputs.length + POOL_RESERVE;
    if (size < need) {
      this.ctx.log.warn(
        { UV_THREADPOOL_SIZE: size, inputs: this.ctx.profile.inputs.length, need },
        `UV_THREADPOOL_SIZE=${size} is too small: each capture input holds one libuv thread; set UV_THREADPOOL_SIZE=${need} in the environment that starts node (it cannot be changed from inside the process)`,
      );
    }
  }
}
