import type { BoxContext } from '../context.js';
import { installControls } from '../controls/install.js';
import { UserError } from '../core/errors.js';
import { formatEntry } from '../hal/hardware-log.js';
import { lineLabel } from '../hal/gpio/gpio.js';
import { SimGpioBinding } from '../hal/gpio/sim-binding.js';
import { I2cError } from '../hal/i2c/errors.js';
import type { BoardHardware } from './hardware.js';
import type { ControlFeature } from '../controls/control.js';
import type { ZoneListing } from '../api/zone.js';
import type { Zone, ZoneState } from './zone.js';

/** One zone on one console line (and an indented line per problem, to stay within 80 columns). */
export const zoneLine = (name: string, s: ZoneState & { chip_error: string | null; power_up_error: string | null }) =>
  `${name.padEnd(10)} power ${s.power.padEnd(7)} mode ${s.mode.padEnd(6)} ${(s.playing ? 'playing' : 'idle').padEnd(7)} volume ${String(s.volume).padStart(3)}/${s.max_volume}${s.volume_db === null ? '' : ` (${s.volume_db} dB)`}${s.mute ? ' muted' : ''}${s.fault ? ' FAULT' : ''}${s.chip_error ? `\n${' '.repeat(11)}chip not answering: ${s.chip_error}` : ''}${s.power_up_error ? `\n${' '.repeat(11)}${s.power_up_error}` : ''}`;
/** A zone as `zone --json` lists it. */
export const zoneListing = (z: Zone): ZoneListing => ({ name: z.name, ...z.state, chip_error: z.chipProblem, power_up_error: z.powerUpProblem });

/** `zone` (derived from the zone controls), `gpio` and `i2c scan <bus>`. */
/** What the zone commands need of the zones feature. */
export interface ZoneSet {
  feature: ControlFeature<Zone>;
  zones: ReadonlyMap<string, Zone>;
}

export function registerZoneCommands(ctx: BoxContext, ext: ZoneSet, hw: BoardHardware): { addEntities(name: string, stateTopic: string): void } {
  const controls = installControls(ctx, ext.feature, {
    summary: 'amplifier zones: state (all, or one)',
    run: (one) => {
      if (one) {
        const data = zoneListing(one.value);
        return { text: zoneLine(one.name, data), data };
      }
      const all = [...ext.zones.values()].map(zoneListing);
      return { text: all.map((z) => zoneLine(z.name, z)).join('\n') || 'no zones', data: all };
    },
  });

  ctx.commands.register({
    words: ['gpio'],
    summary: 'GPIO lines of every zone and the recent hardware log (line changes, register writes)',
    readOnly: true,
    run() {
      const lines = hw.lines.map((l) => {
        let value: number | null = null;
        try {
          value = l.line.read();
        } catch {
          /* unreadable */
        }
        const active = value === null ? null : (value === 1) === (l.spec.active === 'high');
        return { zone: l.zone, role: l.role, line: l.spec.line, bcm: l.line.bcm, where: l.line.where, active_level: l.spec.active, value, active };
      });
      const log = hw.log.recent(40);
      const backend = hw.gpio.describe();
      const data = { binding: hw.gpio.kind, backend: backend.backend, chips: backend.chips, lines, log, ...(hw.sim ? { sim_chips: hw.sim.describe() } : {}) };
      const text = [
        `backend: ${backend.backend}${backend.chips.length ? `, chip ${backend.chips.join(', ')}` : ''}`,
        ...lines.map((l) => `${l.zone.padEnd(10)} ${l.role.padEnd(7)} ${lineLabel(l.line).padEnd(8)} = ${l.value ?? '?'} (${l.active === null ? 'unreadable' : l.active ? 'active' : 'inactive'}, active ${l.active_level})`),
        ...lines.map((l) => `  ${l.zone} ${l.role}: ${l.where}`),
        'recent hardware operations:',
        ...log.map(formatEntry),
      ];
      return { text: text.join('\n'), data };
    },
  });

  ctx.commands.register({
    words: ['i2c', 'scan'],
    args: '<bus>',
    summary: 'addresses that acknowledge on an I2C bus',
    readOnly: true,
    run(args) {
      if (args.length !== 1 || !/^\d+$/.test(args[0]!)) throw new UserError('usage: i2c scan <bus>');
      const n = Number(args[0]);
      try {
        const found = hw.bus(n).scan();
        const hex = found.map((a) => `0x${a.toString(16).padStart(2, '0')}`);
        return { text: found.length ? `bus ${n}: ${hex.join(' ')}` : `bus ${n}: nothing answers`, data: { bus: n, addresses: found } };
      } catch (err) {
        if (err instanceof I2cError) throw new UserError(err.message);
        throw err;
      }
    },
  });

  return controls;
}
