import type { BoardProfile } from './board/profile.js';
import type { Config } from './config/config.js';
import { EventBus } from './core/bus.js';
import { createCaptureExtensions } from './capture/index.js';
import { createRecordingExtensions } from './recording/index.js';
import { createZonesExtensions } from './zones/index.js';
import { systemClock, type Clock } from './core/clock.js';
import { CommandRegistry } from './core/commands.js';
import { Controller } from './core/controller.js';
import { SelfTestRegistry } from './core/selftest.js';
import type { Extension } from './core/extension.js';
import type { Logger, LogRing } from './core/logger.js';
import type { BoxContext } from './context.js';
import { Announce } from './extensions/announce.js';
import { BoxEntities } from './extensions/box-entities.js';
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
import { createDiagnosticsExtensions } from './diagnostics/index.js';
import { RunRecord } from './diagnostics/run-record.js';
import { AlarmEvents } from './mqtt/alarm-events.js';
import { createSimExtensions } from './sim/extension.js';
import { createSimProcTree } from './sim/sim-board.js';
import { Store } from './store/store.js';
import { VERSION } from './version.js';
import { createUpdateExtensions } from './update/index.js';
import { createWebExtensions } from './web/box-web.js';

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
  /** Every part, in start order (tests look up a feature's extension here). */
  readonly extensions: readonly Extension[];
  readonly embeddedBroker?: EmbeddedBroker;
  private readonly runRecord: RunRecord;

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
      requestExit: opts.requestExit ?? (() => {}),
    };

    const haDiscovery = config.haDiscovery ? new HaDiscovery(discovery, { id: config.id, board: profile.name, version }, topics, link, router, retained, clock, log, random) : undefined;
    const info = {
      id: config.id,
      version,
      board: profile.name,
      zones: profile.zones.map((z) => z.name),
      inputs: profile.inputs.map((i) => i.name),
      started_at: new Date(clock.now()).toISOString(),
    };

    const update = createUpdateExtensions(this.ctx);
    const zones = createZonesExtensions(this.ctx);
    const capture = createCaptureExtensions(this.ctx);
    const extensions: Extension[] = [
      // Stopped last: a reboot the update agent asked for comes after every amp is muted and
      // off, `offline` is out and the database is closed.
      update.rebootStep,
      ...(this.embeddedBroker ? [this.embeddedBroker] : []),
      store,
      outbox,
      { name: 'mqtt-shutdown', start() {}, stop: () => link.stop() },
      publisher,
      router,
      ...(haDiscovery ? [haDiscovery] : []),
      new Announce(info, topics, link, retained, haDiscovery, bus, log),
      new BoxEntities(discovery, topics, profile, config.telemetryS),
      runRecord,
      new BoxDiagnostics(runRecord, version, opts.logRing, selftest, (d) => retained.set(topics.diagnostics, d)),
      update,
      new AlarmEvents(bus, link, topics, clock),
      // features: zones, capture, recording, and the sim board's tooling over them
      ...zones,
      ...capture,
      ...createRecordingExtensions(this.ctx, capture),
      ...createSimExtensions(this.ctx, { zones: zones[0], capture: capture[0] }),
      new Telemetry(config.telemetryS, config.dataDir, publisher, outbox, link, clock, log),
      { name: 'mqtt-connect', start: () => link.start(), stop() {} },
      // features: console
      ...createDiagnosticsExtensions(this.ctx),
      ...createWebExtensions(this.ctx),
      new SystemdNotify(process.env, bus, clock, log, () => `online as ${topics.base}`),
      {
        name: 'started-event',
        start: () => {
          bus.emit('box.event', { type: 'started', detail: { version, board: profile.name } });
          if (store.recovery) bus.emit('box.event', { type: 'database_recovered', detail: store.recovery });
          if (store.unavailable) bus.emit('box.event', { type: 'storage_error', detail: { error: store.unavailable, persistence: 'off' } });
        },
        stop() {},
      },
    ];
    this.extensions = extensions;
    this.controller = new Controller(extensions, log);
  }

  async start(): Promise<void> {
    await this.controller.start(new Set(['embedded-broker', 'store', 'outbox']));
  }

  /** Stops every part; `exitCode` other than 0 is recorded as a crash for the next start's restart reason. */
  async stop(exitCode = 0): Promise<void> {
    this.runRecord.exitCode = exitCode;
    await this.controller.stop();
    this.ctx.simTree?.dispose();
  }
}
