import type { KeyObject } from 'node:crypto';
import type { Slot, UpdateState } from '../api/update.js';
import type { BoxContext } from '../context.js';
import type { TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/controller.js';
import type { Extension } from '../core/extension.js';
import { Autoboot } from './autoboot.js';
import { requestReboot, type RebootKind } from './reboot.js';
import { fetchRelease, loadUpdateKey, type Release } from './release.js';
import { planInstall, type InstallPlan } from './install-plan.js';
import { verifyAndWriteParts } from './slot-writer.js';
import { bootId, runningSlot } from './slots.js';
import { UpdateStateFiles, type LastOutcome } from './state-files.js';
import { TrialHealth } from './trial-health.js';
import { UpdateError } from './update-error.js';

/** How long a reboot waits for the outbox to hand its last events (update_written) to the broker. */
const OUTBOX_GRACE_MS = 5_000;

/**
 * The update agent: checks the release channel, writes a release into the slot the box is not
 * running, reboots into it for one trial, commits the trial once the box is healthy, and notices
 * when the Pi firmware fell back to the old slot. Every reboot goes through the firmware's own
 * stop: the agent asks main to exit, and `rebootStep`, which the app starts first and so stops
 * last, requests the reboot once the zones are muted and off, `offline` is out and the database
 * is closed.
 */
export class UpdateAgent implements Extension {
  readonly name = 'update';
  readonly files: UpdateStateFiles;
  private readonly autoboot: Autoboot;
  /** The system's /proc (the sim board's own tree only fakes asound). */
  private readonly procRoot: string;
  private key?: KeyObject;
  private keyError?: string;
  private running?: Slot;
  private committed?: Slot;
  private latest?: Release;
  private lastCheck?: number;
  private lastError?: string;
  private installing?: { to: string; slot: Slot; percent: number | null; abort: AbortController };
  private rebootKind?: RebootKind;
  private trialHealth?: TrialHealth;
  private timers: TimerHandle[] = [];

  constructor(
    private readonly ctx: BoxContext,
    readonly version: string,
  ) {
    this.files = new UpdateStateFiles(ctx.config.update.stateDir);
    this.autoboot = new Autoboot(ctx.config.update.autobootDir);
    this.procRoot = ctx.config.procRoot ?? '/';
  }

  private get config() {
    return this.ctx.config.update;
  }

  get trial(): boolean {
    return this.running !== undefined && this.committed !== undefined && this.running !== this.committed;
  }

  state(): UpdateState {
    return {
      installed_version: this.version,
      latest_version: this.latest?.manifest.version ?? null,
      release_url: this.latest?.manifest.release_url ?? null,
      title: 'roombox firmware',
      // Only once every check passed: a refused install never shows as running.
      in_progress: this.installing?.percent != null,
      update_percentage: this.installing?.percent ?? null,
      running_slot: this.running ?? null,
      committed_slot: this.committed ?? null,
      trial: this.trial,
      last_check: this.lastCheck === undefined ? null : new Date(this.lastCheck).toISOString(),
      last_error: this.lastError ?? null,
    };
  }

  lastOutcome(): LastOutcome | undefined {
    return this.files.last();
  }

  async start(): Promise<void> {
    try {
      this.key = loadUpdateKey(this.config.keyFile);
    } catch (err) {
      this.keyError = `no update key: ${errorMessage(err)}`;
    }
    this.running = runningSlot(this.procRoot);
    this.committed = await this.autoboot.committedSlot();
    this.publish();
    await this.afterBoot();
    if (this.config.url !== undefined) {
      void this.check().catch(() => {});
      this.timers.push(this.ctx.clock.setInterval(() => void this.check().catch(() => {}), this.config.checkS * 1000));
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) this.ctx.clock.clear(t);
    this.timers = [];
    this.trialHealth?.stop();
    this.installing?.abort.abort();
  }

  /** The last step of the box's stop: the reboot the agent asked for, if it did. */
  readonly rebootStep: Extension = {
    name: 'update-reboot',
    start: () => {},
    stop: async () => {
      if (!this.rebootKind) return;
      this.ctx.log.warn({ kind: this.rebootKind }, 'rebooting for the update');
      await requestReboot(this.rebootKind, { command: this.config.rebootCmd, requestFile: this.files.rebootRequestPath }).catch((err) =>
        this.ctx.log.error({ err: errorMessage(err) }, 'reboot request failed'),
      );
    },
  };

  /** Fetches and verifies the channel's manifest: `latest_version` and `release_url`. */
  async check(): Promise<Release> {
    try {
      const release = await fetchRelease(this.urlOrRefuse(), this.keyOrRefuse());
      this.latest = release;
      this.lastCheck = this.ctx.clock.now();
      this.lastError = undefined;
      return release;
    } catch (err) {
      this.lastError = errorMessage(err);
      this.ctx.log.warn({ err: this.lastError }, 'update check failed');
      throw err;
    } finally {
      this.publish();
    }
  }

  /**
   * Checks everything that could refuse the install, then starts writing the inactive slot and
   * returns; the write goes on in the background (progress in P/update, events at the end).
   */
  async install(opts: { allowDowngrade: boolean }): Promise<string> {
    const running = this.installing;
    if (running) throw new UpdateError(running.percent === null ? 'an update is already being checked and prepared' : `an update is already running (${running.to} into slot ${running.slot}, ${running.percent} %)`);
    const abort = new AbortController();
    const claim = { to: '?', slot: 'a' as Slot, percent: null as number | null, abort };
    this.installing = claim;
    let plan: InstallPlan;
    try {
      plan = await this.prepare(opts);
    } catch (err) {
      this.installing = undefined;
      this.failed(err);
      throw err;
    }
    const { to, slot, parts } = plan;
    Object.assign(claim, { to, slot, percent: 0 });
    this.ctx.bus.emit('box.event', { type: 'update_started', detail: { from_version: this.version, to_version: to, slot } });
    this.publish();
    void this.write(plan, claim);
    return `installing ${to} into slot ${slot} (${parts.map((p) => `${p.name} -> ${p.device}`).join(', ')}); the box reboots into it when written`;
  }

  private async prepare(opts: { allowDowngrade: boolean }): Promise<InstallPlan> {
    if (this.running === undefined) throw new UpdateError('this box does not run from an A/B card (no roombox.slot on the kernel command line)');
    if (this.committed === undefined) throw new UpdateError(`no usable autoboot.txt in ${this.config.autobootDir}`);
    if (this.trial) throw new UpdateError(`this is a trial boot of slot ${this.running}, not yet committed: updates wait until it is`);
    return planInstall(await this.check(), { installed: this.version, running: this.running, disk: this.config.disk, allowDowngrade: opts.allowDowngrade });
  }

  private async write({ parts, to, slot }: InstallPlan, claim: NonNullable<UpdateAgent['installing']>): Promise<void> {
    try {
      await verifyAndWriteParts(
        parts,
        (percent) => {
          claim.percent = percent;
          this.publish();
        },
        claim.abort.signal,
        (part) => this.ctx.log.info({ part: part.name, device: part.device, bytes: part.size }, 'update part written and read back'),
      );
      await this.files.writePending({ from_version: this.version, to_version: to, slot, written_at: this.now(), boot_id: bootId(this.procRoot) });
      claim.percent = 100;
      this.publish();
      this.ctx.bus.emit('box.event', { type: 'update_written', detail: { from_version: this.version, to_version: to, slot } });
      this.ctx.log.warn({ to, slot }, 'update written: rebooting to try it');
      await this.reboot('tryboot');
    } catch (err) {
      this.installing = undefined;
      this.failed(err, to);
    }
  }

  private failed(err: unknown, to?: string): void {
    this.lastError = errorMessage(err);
    this.ctx.log.error({ err: this.lastError }, 'update failed');
    this.ctx.bus.emit('box.event', { type: 'update_failed', detail: { error: this.lastError, ...(to ? { to_version: to } : {}) } });
    this.publish();
  }

  /** After every start: commit a trial, or notice the fall-back from one, or finish a commit a power cut interrupted. */
  private async afterBoot(): Promise<void> {
    const pending = this.files.pending();
    if (this.running === undefined || this.committed === undefined) return;
    if (this.trial) return this.beginTrial();
    if (!pending) return;
    if (pending.slot === this.running) {
      // autoboot.txt names this slot already: the commit was done, its bookkeeping was not.
      await this.recordCommit(pending.from_version, pending.to_version);
    } else if (pending.boot_id === undefined || pending.boot_id !== bootId(this.procRoot)) {
      const reason = this.files.rollbackReason() ?? 'the trial boot did not come back';
      await this.files.writeLast({ outcome: 'rolled_back', from_version: pending.from_version, to_version: pending.to_version, slot: pending.slot, reason, at: this.now() });
      await this.files.clearPending();
      await this.files.clearRollbackReason();
      this.ctx.log.error({ to: pending.to_version, reason }, 'update rolled back');
      this.ctx.bus.emit('box.event', { type: 'update_rolled_back', detail: { from_version: pending.from_version, to_version: pending.to_version, reason } });
    }
  }

  private beginTrial(): void {
    const confirmS = this.config.confirmS;
    this.ctx.log.warn({ running: this.running, committed: this.committed, confirm_s: confirmS }, 'trial boot: committing once online and selftest passes');
    this.trialHealth = new TrialHealth(this.ctx, confirmS, () => this.commitTrial(), (reason) => this.giveUpTrial(reason));
    this.trialHealth.start();
  }

  private async commitTrial(): Promise<void> {
    if (!this.trial || this.rebootKind) return;
    await this.autoboot.commit(this.running!);
    this.committed = this.running;
    await this.recordCommit(this.files.pending()?.from_version ?? 'unknown', this.version);
  }

  private async recordCommit(from: string, to: string): Promise<void> {
    await this.files.writeLast({ outcome: 'committed', from_version: from, to_version: to, slot: this.running!, at: this.now() });
    await this.files.clearPending();
    await this.files.clearRollbackReason();
    this.ctx.log.info({ slot: this.running, from, to }, 'update committed');
    this.ctx.bus.emit('box.event', { type: 'update_committed', detail: { from_version: from, to_version: to, slot: this.running! } });
    this.publish();
  }

  private async giveUpTrial(reason: string): Promise<void> {
    if (!this.trial || this.rebootKind) return;
    this.ctx.log.error({ reason }, 'trial boot failed: falling back to the committed slot');
    await this.files.writeRollbackReason(reason).catch((err) => this.ctx.log.error({ err: errorMessage(err) }, 'could not write rollback-reason'));
    await this.reboot('normal');
  }

  /** Stops the box (zones muted and off) and reboots from stop(); the events said so first, if the broker is there. */
  private async reboot(kind: RebootKind): Promise<void> {
    this.rebootKind = kind;
    const until = this.ctx.clock.now() + OUTBOX_GRACE_MS;
    while (this.ctx.link.connected && this.ctx.clock.now() < until) {
      const o = this.ctx.outbox.stats();
      if (o.depth === 0 && !o.pending) break;
      await this.ctx.clock.sleep(100);
    }
    this.ctx.requestExit(0);
  }

  private publish(): void {
    this.ctx.retained.set(this.ctx.topics.update, this.state());
  }

  private urlOrRefuse(): string {
    if (this.config.url === undefined) throw new UpdateError('no release channel: ROOMBOX_UPDATE_URL is not set');
    return this.config.url;
  }

  private keyOrRefuse(): KeyObject {
    if (!this.key) throw new UpdateError(this.keyError ?? 'no update key');
    return this.key;
  }

  private now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }
}
