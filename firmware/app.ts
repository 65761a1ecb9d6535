import type { BoardProfile } from './board/profile.js';
import type { Config } from './config/config.js';
import { EventBus } from './core/bus.js';
import { systemClock, type Clock } from './core/clock.js';
import { CommandRegistry } from './core/commands.js';
import { Controller } from './core/controller.js';
import { SelfTestRegistry } from './core/selftest.js';
import type { Extension } from './core/extension.js';
import type { Logger, LogRing } from './core/logger.js';
import type { BoxContext } from './context.js';
import { Announce } from './extensions/announce.js';
import { BoxEntities } from './extensions/box-entities.js';
import { HeapTrim } from './extensions/heap-trim.js';
import { Telemetry } from './extensions/telemetry.js';
import { DiscoveryRegistry, HaDiscovery } from './mqtt/discovery.js';
import { EmbeddedBroker } from './mqtt/embedded-broker.js';
import { MqttLink } from './mqtt/link.js';
import { Publisher } from './mqtt/publisher.js';
import { RetainedState } from './mqtt/retained.js';
import { CommandRouter } from './mqtt/router.js';
import { Topics } from './mqtt/topics.js';
import { SqliteOutbox } from './outbox/sqlite-outbox.js';
import { SystemdNotify } from './platform/systemd-notify.js';
import { BoxDiagnostics } from './diagnostics/box-diagnostics.js';
import { installDiagnostics } from './diagnostics/index.js';
import { RunRecord } from './diagnostics/run-record.js';
import { AlarmEvents } from './mqtt/alarm-events.js';
import { createSimProcTree } from './sim/sim-board.js';
import { SafeModeControls } from './safe-mode/controls.js';
import { SafeMode } from './safe-mode/safe-mode.js';
import { Store } from './store/store.js';
import { VERSION } from './version.js';
import { createUpdateExtensions } from './update/index.js';
import { webTarget } from './web/listen.js';

export interface AppOptions {
  config: Config;
  profile: BoardProfile;
  logger: Logger;
  logRing: LogRing;
  clock?: Clock;
  random?: () => number;
  requestExit?: (code: number) => void;
  /** The database schema (default: this firmware's); a test plays a later firmware with more. */
  migrations?: readonly string[];
  /** The firmware version (default: package.json's); a test plays the release an update installed. */
  version?: string;
}

/**
 * The composition root: the one place that knows every part. Start order matters: the link's
 * shutdown half sits before the zones so that on stop the amps are muted and off before
 * `offline` goes out; the link connects last, once every retained state exists.
 */
export class App {
  readonly ctx: BoxContext;
  readonly controller: Controller;
  /** Every part, in start order, once start() has chosen the features (tests look up a feature's extension here). */
  readonly extensions: Extension[] = [];
  private readonly head: Extension[];
  private readonly connect: Extension[];
  private readonly tail: Extension[];
  readonly embeddedBroker?: EmbeddedBroker;
  private readonly runRecord: RunRecord;
  private readonly safeMode: SafeMode;

  constructor(opts: AppOptions) {
    const { config, profile, logger: log } = opts;
    const version = opts.version ?? VERSION;
    const clock = opts.clock ?? systemClock;
    const random = opts.random ?? Math.random;
    const bus = new EventBus((event, err) => log.error({ event, err: (err as Error)?.message }, 'bus listener failed'));
    const topics = new Topics(config.topicPrefix, config.id, config.haPrefix);
    this.embeddedBroker = config.mqtt.url === undefined ? new EmbeddedBroker(config.mqtt.embeddedPort, log) : undefined;
    const link = new MqttLink(
      {
        url: config.mqtt.url ?? this.embeddedBroker!.url,
        version: config.mqtt.url === undefined ? 4 : config.mqtt.version,
        clientId: `roombox_${config.id}`,
        username: config.mqtt.username,
        password: config.mqtt.password,
        caFile: config.mqtt.caFile,
        certFile: config.mqtt.certFile,
        keyFile: config.mqtt.keyFile,
      },
      topics,
      bus,
      clock,
      log,
      random,
    );
    const selftest = new SelfTestRegistry();
    const store = new Store(config.dataDir, clock, log, selftest, opts.migrations);
    const outbox = new SqliteOutbox(() => store.db, link, bus, clock, log, { max: config.outboxMax, whyNoDatabase: () => store.unavailable });
    const publisher = new Publisher(outbox, topics, bus, clock);
    const router = new CommandRouter(link, topics, bus, clock, log);
    const retained = new RetainedState(link, log);
    const discovery = new DiscoveryRegistry();
    this.runRecord = new RunRecord(config.dataDir, log);
    const runRecord = this.runRecord;
    const safeMode = new SafeMode({ ...config.safeMode, run: runRecord, bus, clock, log });
    this.safeMode = safeMode;
    const simTree = profile.simulated && config.procRoot === undefined ? createSimProcTree(profile) : undefined;

    this.ctx = {
      config,
      profile,
      version,
      bus,
      clock,
      log,
      logRing: opts.logRing,
      commands: new CommandRegistry(),
      selftest,
      topics,
      link,
      router,
      retained,
      discovery,
      publisher,
      outbox,
      state: store.state,
      database: () => store.db,
      procRoot: config.procRoot ?? simTree?.root ?? '/',
      simTree,
      safeMode,
      requestExit: opts.requestExit ?? (() => {}),
    };

    // In safe mode the entities of the parts that do not run stay in Home Assistant as they were.
    const haDiscovery = config.haDiscovery
      ? new HaDiscovery(discovery, { id: config.id, board: profile.name, version }, topics, link, router, retained, clock, log, random, () => safeMode.active)
      : undefined;
    const info = {
      id: config.id,
      version,
      board: profile.name,
      zones: profile.zones.map((z) => z.name),
      inputs: profile.inputs.map((i) => i.name),
      started_at: new Date(clock.now()).toISOString(),
    };

    const update = createUpdateExtensions(this.ctx);
    // Safe mode: the run record counts this start first of all (a crash anywhere later still
    // counts); the zones and capture hold themselves safe, and what is wrapped in
    // `safeMode.unlessSafe` waits for safe mode to end. Everything else runs in safe mode.
    this.head = [
      // Stopped last: a reboot the update agent asked for comes after every amp is muted and
      // off, `offline` is out and the database is closed.
      update.rebootStep,
      runRecord,
      safeMode,
      ...(this.embeddedBroker ? [this.embeddedBroker] : []),
      store,
      outbox,
      { name: 'mqtt-shutdown', start() {}, stop: () => link.stop() },
      publisher,
      router,
      ...(haDiscovery ? [haDiscovery] : []),
      new Announce(info, topics, link, retained, haDiscovery, bus, log),
      new BoxEntities(discovery, topics, profile, config.telemetryS),
      new BoxDiagnostics(runRecord, safeMode, version, opts.logRing, selftest, (d) => retained.set(topics.diagnostics, d)),
      update,
      new AlarmEvents(bus, link, topics, clock),
    ];
    this.connect = [
      new Telemetry(config.telemetryS, config.dataDir, publisher, outbox, link, clock, log),
      new HeapTrim(clock, log),
      { name: 'mqtt-connect', start: () => link.start(), stop() {} },
    ];
    this.tail = [
      new SystemdNotify(process.env, bus, clock, log, () => `online as ${topics.base}`),
      {
        name: 'started-event',
        start: () => {
          bus.emit('box.event', { type: 'started', detail: { version, board: profile.name } });
          if (store.recovery) bus.emit('box.event', { type: 'database_recovered', detail: store.recovery });
          if (store.unavailable) bus.emit('box.event', { type: 'storage_error', detail: { error: store.unavailable, persistence: 'off' } });
          safeMode.begin();
        },
        stop() {},
      },
    ];
    // Filled in by start(): the controller starts what the list holds by then.
    this.controller = new Controller(this.extensions, log);
  }

  /**
   * The features this configuration uses, in start order: the one place that chooses them. Each
   * one's code is imported only when it is used (docs/performance.md, Start-up): no zone or player
   * code without zones, no capture, loudness or recording code without inputs, no console without
   * ROOMBOX_CONSOLE, no web server without a page to serve.
   */
  private async features(): Promise<{ hardware: Extension[]; access: Extension[] }> {
    const { ctx } = this;
    const { config, profile } = ctx;
    const zones = profile.zones.length > 0 ? (await import('./zones/index.js')).createZonesExtensions(ctx) : [];
    const capture = profile.inputs.length > 0 ? (await import('./capture/index.js')).createCaptureExtensions(ctx) : [];
    const recording = capture.length > 0 ? (await import('./recording/index.js')).createRecordingExtensions(ctx, capture).map((e) => this.safeMode.unlessSafe(e)) : [];
    const sim = profile.simulated ? (await import('./sim/extension.js')).createSimExtensions(ctx, { zones: zones[0], capture: capture[0] }) : [];
    installDiagnostics(ctx);
    const fieldConsole = config.console.target !== 'off' ? [new (await import('./console/console.js')).Console(config.console.target, config.console.baud, ctx.commands, ctx.clock, ctx.log)] : [];
    const page = webTarget(config.http, process.env);
    const web = page ? (await import('./web/box-web.js')).createWebExtensions(ctx, page) : [];
    const safeModeControls = new SafeModeControls(ctx, this.safeMode);
    return { hardware: [...zones, ...capture, ...recording, ...sim], access: [...fieldConsole, safeModeControls, ...web] };
  }

  async start(): Promise<void> {
    const { hardware, access } = await this.features();
    // The link's connect half after the zones: the first `online` comes with every retained state in place.
    this.extensions.push(...this.head, ...hardware, ...this.connect, ...access, ...this.tail);
    await this.controller.start(new Set(['embedded-broker', 'store', 'outbox']));
  }

  /** Stops every part; `exitCode` other than 0 is recorded as a crash for the next start's restart reason. */
  async stop(exitCode = 0): Promise<void> {
    this.runRecord.exitCode = exitCode;
    await this.controller.stop();
    this.ctx.simTree?.dispose();
  }
}
