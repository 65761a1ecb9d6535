import type { ZoneProfile } from '../board/profile.js';
import type { AmpChip } from '../chips/amp-chip.js';
import type { BoxContext } from '../context.js';
import type { BoxEventInput } from '../core/bus.js';
import type { Extension } from '../core/extension.js';
import { lineLabel } from '../hal/gpio/gpio.js';
import { formatEntry } from '../hal/hardware-log.js';
import { registerZoneCommands, zoneLine, zoneListing } from './commands.js';
import type { ControlFeature } from '../controls/control.js';
import { addZoneEntities } from './entities.js';
import { BoardHardware } from './hardware.js';
import { ZONE_CONTROLS } from './controls.js';
import { PlaybackDetector, PollGroup, ProcPlaybackSource } from './playback.js';
import type { ZonePlayerLink } from './player-link.js';
import { Zone } from './zone.js';

export function createZonesExtensions(ctx: BoxContext): ZonesExtension[] {
  if (ctx.profile.zones.length === 0) return [];
  return [new ZonesExtension(ctx)];
}

/** The room-audio half of the box: one Zone per profile zone, its detector, MQTT and commands. */
export class ZonesExtension implements Extension {
  readonly name = 'zones';
  readonly zones = new Map<string, Zone>();
  readonly profiles = new Map<string, ZoneProfile>();
  readonly detectors = new Map<string, PlaybackDetector>();
  private readonly polls: PollGroup;
  readonly players = new Map<string, ZonePlayerLink>();
  hardware?: BoardHardware;
  private entities?: { addEntities(name: string, stateTopic: string): void };
  readonly feature: ControlFeature<Zone> = {
    noun: 'zone',
    plural: 'zones',
    controls: ZONE_CONTROLS,
    targets: () => this.zones,
    label: (name) => this.profiles.get(name)?.label ?? name,
    describe: (name, zone) => zoneLine(name, zoneListing(zone)),
  };

  constructor(private readonly ctx: BoxContext) {
    this.polls = new PollGroup(ctx.clock);
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const hw = (this.hardware = new BoardHardware(ctx.profile, ctx.clock, { gpio: ctx.config.gpio }));
    if (hw.sim) hw.log.onEntry((e) => ctx.log.debug({ hw: e }, `hw ${formatEntry(e)}`));
    this.entities = registerZoneCommands(ctx, this, hw);
    // The player clients are loaded only for a box whose zones have players.
    const withPlayer = ctx.profile.zones.some((p) => ctx.config.zones[p.name]?.player);
    const playerLink = withPlayer ? (await import('./player-link.js')).ZonePlayerLink : undefined;
    for (const p of ctx.profile.zones) {
      this.profiles.set(p.name, p);
      try {
        await this.startZone(p, hw, playerLink);
      } catch (err) {
        // One zone whose hardware cannot be opened does not take the other zones down.
        const detail = (err as Error).message;
        ctx.log.error({ zone: p.name, err: detail }, 'zone failed to start');
        ctx.selftest.register({ name: `zone ${p.name}: hardware opens`, run: async () => ({ ok: false, detail }) });
      }
    }
    if (ctx.safeMode.active) ctx.safeMode.onLeave(() => this.leaveSafeMode());
    if (hw.lines.length > 0) {
      ctx.selftest.register({
        name: 'GPIO backend',
        run: async () => {
          const d = hw.gpio.describe();
          return { ok: true, detail: `${d.backend}: ${d.chips.join(', ')}` };
        },
      });
    }
  }

  private async startZone(p: ZoneProfile, hw: BoardHardware, playerLink?: typeof ZonePlayerLink): Promise<void> {
    const { ctx } = this;
    const chip = hw.chip(p);
    const env = ctx.config.zones[p.name];
    const link = env?.player && playerLink ? new playerLink(ctx, p, env.player) : undefined;
    const maxVolume = env?.maxVolume ?? p.maxVolume;
    const zone = new Zone({
      profile: p,
      chip,
      lines: hw.openLines(p),
      clock: ctx.clock,
      store: ctx.state,
      maxVolume,
      idleS: ctx.config.ampIdleS,
      onState: (s) => ctx.retained.set(ctx.topics.zoneState(p.name), link ? { ...s, player: link.info() } : s),
      onEvent: (type, detail) => ctx.bus.emit('box.event', { type, zone: p.name, detail } as BoxEventInput),
      onError: (what, err) => ctx.log.error({ zone: p.name, err: (err as Error)?.message }, `zone ${what} failed`),
    });
    this.zones.set(p.name, zone);
    this.entities?.addEntities(p.name, ctx.topics.zoneState(p.name));
    addZoneEntities(ctx, p);
    if (link) {
      this.players.set(p.name, link);
      if (env?.volumeSync === 'player') link.ownVolume(zone, chip, maxVolume);
      ctx.discovery.add({
        key: `${p.name}_player`,
        platform: 'binary_sensor',
        config: {
          name: `${p.label ?? p.name} player`,
          state_topic: ctx.topics.zoneState(p.name),
          value_template: "{{ 'ON' if value_json.player.connected else 'OFF' }}",
          device_class: 'connectivity',
          entity_category: 'diagnostic',
        },
      });
    }
    this.registerSelfTests(p, chip, hw);
    // Safe mode: the amp is held muted and off; playback and the player are not followed.
    const hold = ctx.safeMode.active;
    await zone.start({ hold });
    const sources = [new ProcPlaybackSource(ctx.procRoot, p.playback), ...(link ? [link.playbackSource()] : [])];
    const detector = new PlaybackDetector(sources, ctx.clock, (playing) => zone.onPlayback(playing), undefined, this.polls);
    this.detectors.set(p.name, detector);
    if (!hold) this.follow(p.name);
    ctx.log.info({ zone: p.name, chip: p.amp.chip, state: zone.state, ...(hold ? { safe_mode: true } : {}) }, 'zone started');
  }

  /** Playback detection and the player link: what makes the zone follow the audio. */
  private follow(name: string): void {
    const zone = this.zones.get(name)!;
    this.players.get(name)?.start(() => zone.republish());
    this.detectors.get(name)!.start();
  }

  /** Safe mode ended: each zone gets its settings back and follows the audio again. */
  private async leaveSafeMode(): Promise<void> {
    for (const [name, zone] of this.zones) {
      if (!zone.heldSafe) continue;
      await zone.release();
      // Still held: the box is stopping.
      if (zone.heldSafe) continue;
      this.follow(name);
      this.ctx.log.info({ zone: name, state: zone.state }, 'zone out of safe mode');
    }
  }

  async stop(): Promise<void> {
    for (const d of this.detectors.values()) d.stop();
    for (const l of this.players.values()) await l.stop().catch(() => {});
    for (const z of this.zones.values()) await z.stop().catch((err) => this.ctx.log.error({ zone: z.name, err: (err as Error).message }, 'zone stop failed'));
    await this.ctx.state.flush();
    this.hardware?.close();
  }

  private registerSelfTests(p: ZoneProfile, chip: AmpChip, hw: BoardHardware): void {
    const { ctx } = this;
    ctx.selftest.register({
      name: `zone ${p.name}: ${p.amp.chip} answers`,
      run: async () => {
        return { ok: true, detail: await chip.probe() };
      },
    });
    for (const l of hw.lines.filter((x) => x.zone === p.name)) {
      ctx.selftest.register({
        name: `zone ${p.name}: GPIO ${l.role} (${lineLabel(l.spec.line)}) readable`,
        run: async () => ({ ok: true, detail: `level ${l.line.read()} (${l.line.where})` }),
      });
    }
  }
}
