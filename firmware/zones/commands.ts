import type { BoxContext } from '../context.js';
import { CommandError } from '../core/commands.js';
import type { TimerHandle } from '../core/clock.js';
import { formatEntry } from '../hal/hardware-log.js';
import { lineLabel } from '../hal/gpio/gpio.js';
import { SimGpioBinding } from '../hal/gpio/sim-binding.js';
import { I2cError } from '../hal/i2c/errors.js';
import { runningStatus } from '../sim/proc-tree.js';
import type { ZonesExtension } from './index.js';
import { ZoneChipError, ZoneFaultError, type Zone, type ZoneState } from './zone.js';

type ShownState = ZoneState & { chip_error: string | null };
const line = (name: string, s: ShownState) =>
  `${name.padEnd(10)} power ${s.power.padEnd(7)} mode ${s.mode.padEnd(6)} ${(s.playing ? 'playing' : 'idle').padEnd(7)} volume ${String(s.volume).padStart(3)}/${s.max_volume}${s.volume_db === null ? '' : ` (${s.volume_db} dB)`}${s.mute ? ' muted' : ''}${s.fault ? ' FAULT' : ''}${s.chip_error ? ` (chip not answering: ${s.chip_error})` : ''}`;
const shown = (z: Zone): ShownState => ({ ...z.state, chip_error: z.chipProblem });

/** `zone ...`, `gpio`, `i2c scan <bus>`, and on the sim board `sim play|fault|chip <zone> ...`. */
export function registerZoneCommands(ctx: BoxContext, ext: ZonesExtension): void {
  const find = (name: string | undefined): Zone => {
    const known = [...ext.zones.keys()].join(', ') || 'none';
    if (name === undefined) throw new CommandError(`which zone? (zones: ${known})`);
    const zone = ext.zones.get(name.toLowerCase());
    if (!zone) throw new CommandError(`unknown zone '${name.slice(0, 32)}' (zones: ${known})`);
    return zone;
  };
  const onOff = (v: string | undefined, usage: string): boolean => {
    const t = v?.toLowerCase();
    if (t !== 'on' && t !== 'off') throw new CommandError(`usage: ${usage}`);
    return t === 'on';
  };
  const fault = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      if (err instanceof ZoneFaultError || err instanceof ZoneChipError) throw new CommandError(err.message);
      throw err;
    }
  };

  ctx.commands.register({
    words: ['zone'],
    args: '[<zone> [power on|off|auto | volume <0-100> | mute on|off]]',
    summary: 'amplifier zones: state, power, volume, mute',
    // Reading is the common case; the changing forms refuse --json themselves.
    readOnly: true,
    async run(args, cc) {
      if (args.length === 0) {
        const all = [...ext.zones.values()].map((z) => ({ name: z.name, ...shown(z) }));
        return { text: all.map((z) => line(z.name, z)).join('\n') || 'no zones', data: all };
      }
      const zone = find(args[0]);
      if (args.length === 1) {
        const data = { name: zone.name, ...shown(zone) };
        return { text: line(zone.name, data), data };
      }
      if (cc.json) throw new CommandError(`'zone ${args[1]}' changes the box and takes no --json`);
      const [, what, value, ...rest] = args;
      if (rest.length) throw new CommandError(`usage: zone <zone> power on|off|auto | volume <0-100> | mute on|off`);
      switch (what?.toLowerCase()) {
        case 'power': {
          const p = value?.toLowerCase();
          if (p !== 'on' && p !== 'off' && p !== 'auto') throw new CommandError('usage: zone <zone> power on|off|auto');
          await fault(zone.setPower(p));
          break;
        }
        case 'volume': {
          if (value === undefined || !/^\d+$/.test(value) || Number(value) > 100) throw new CommandError(`volume '${(value ?? '').slice(0, 16)}' is not a whole number 0-100`);
          const applied = await fault(zone.setVolume(Number(value)));
          if (applied < Number(value)) return { text: `${line(zone.name, shown(zone))}\n(capped at ${applied})` };
          break;
        }
        case 'mute':
          await fault(zone.setMute(onOff(value, 'zone <zone> mute on|off')));
          break;
        default:
          throw new CommandError(`usage: zone <zone> power on|off|auto | volume <0-100> | mute on|off`);
      }
      return { text: line(zone.name, shown(zone)) };
    },
  });

  ctx.commands.register({
    words: ['gpio'],
    summary: 'GPIO lines of every zone and the recent hardware log (line changes, register writes)',
    readOnly: true,
    run() {
      const hw = ext.hardware!;
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
      if (args.length !== 1 || !/^\d+$/.test(args[0]!)) throw new CommandError('usage: i2c scan <bus>');
      const n = Number(args[0]);
      try {
        const found = ext.hardware!.bus(n).scan();
        const hex = found.map((a) => `0x${a.toString(16).padStart(2, '0')}`);
        return { text: found.length ? `bus ${n}: ${hex.join(' ')}` : `bus ${n}: nothing answers`, data: { bus: n, addresses: found } };
      } catch (err) {
        if (err instanceof I2cError) throw new CommandError(err.message);
        throw err;
      }
    },
  });

  if (!ctx.profile.simulated) return;
  const players = new Map<string, { timer?: TimerHandle; hwPtr: number }>();
  ctx.commands.register({
    words: ['sim', 'play'],
    args: '<zone> on|off',
    summary: "sim: the zone's playback stream runs with an advancing hw_ptr (on) or stalls (off)",
    readOnly: false,
    run(args) {
      if (args.length !== 2) throw new CommandError('usage: sim play <zone> on|off');
      const zone = find(args[0]);
      const on = onOff(args[1], 'sim play <zone> on|off');
      const tree = ctx.simTree;
      if (!tree) throw new CommandError("the /proc tree is not the box's own (ROOMBOX_PROC_ROOT is set): write the fixture tree instead");
      const pb = ext.profiles.get(zone.name)!.playback;
      if (typeof pb.card !== 'number') throw new CommandError(`zone ${zone.name} names its card by id; sim play needs a card number`);
      const card = pb.card;
      const p = players.get(zone.name) ?? { hwPtr: 0 };
      players.set(zone.name, p);
      const write = () => tree.writeStatus(card, pb.device, 'p', pb.subdevice ?? 0, runningStatus(p.hwPtr));
      if (p.timer) ctx.clock.clear(p.timer);
      p.timer = undefined;
      if (on) {
        write();
        p.timer = ctx.clock.setInterval(() => {
          p.hwPtr += 4800;
          write();
        }, 100);
      } else write();
      return { text: `${zone.name}: stream ${on ? 'running' : 'stalled (RUNNING, hw_ptr not moving)'}` };
    },
  });
  ext.onStop(() => {
    for (const p of players.values()) if (p.timer) ctx.clock.clear(p.timer);
  });

  const chatters = new Map<string, () => void>();
  ctx.commands.register({
    words: ['sim', 'fault'],
    args: '<zone> on|off|chatter [<period-ms> [<toggles>]]',
    summary: "sim: drive the zone's amp fault line active (on), release it (off), or toggle it every period-ms (default 5) for <toggles> (default 400), then release it",
    readOnly: false,
    run(args) {
      const usage = 'usage: sim fault <zone> on|off|chatter [<period-ms> [<toggles>]]';
      if (args.length < 2) throw new CommandError(usage);
      const zone = find(args[0]);
      const what = args[1]!.toLowerCase();
      const spec = ext.profiles.get(zone.name)!.gpio.fault;
      if (!spec) throw new CommandError(`zone ${zone.name} has no fault line`);
      const activeLevel = spec.active === 'high' ? 1 : 0;
      const rest = (1 - activeLevel) as 0 | 1;
      const lines = ext.hardware!.sim!.lines;
      chatters.get(zone.name)?.();
      chatters.delete(zone.name);
      if (what === 'chatter') {
        if (args.length > 4) throw new CommandError(usage);
        const [periodMs, toggles] = [args[2] ?? '5', args[3] ?? '400'].map((v) => (/^\d+$/.test(v) ? Number(v) : NaN));
        if (!(periodMs! >= 1 && periodMs! <= 1000) || !(toggles! >= 1 && toggles! <= 100_000)) throw new CommandError('period-ms is 1-1000 and toggles 1-100000');
        chatters.set(zone.name, lines.chatter(SimGpioBinding.offsetOf(spec.line), { clock: ctx.clock, periodMs: periodMs!, toggles: toggles!, rest }));
        return { text: `${zone.name}: fault line ${spec.line} toggles every ${periodMs} ms, ${toggles} times, then is released` };
      }
      if (args.length !== 2) throw new CommandError(usage);
      const on = onOff(what, usage.slice('usage: '.length));
      lines.inject(SimGpioBinding.offsetOf(spec.line), on ? activeLevel : rest);
      return { text: `${zone.name}: fault line ${spec.line} ${on ? 'active' : 'released'}` };
    },
  });
  ext.onStop(() => {
    for (const stop of chatters.values()) stop();
  });

  ctx.commands.register({
    words: ['sim', 'chip'],
    args: '<zone> eio|nack|ok',
    summary: "sim: the zone's amp chip stops answering (every transfer fails with EIO, or is not acknowledged: EREMOTEIO), or answers again (from its power-on reset state)",
    readOnly: false,
    run(args) {
      const usage = 'usage: sim chip <zone> eio|nack|ok';
      if (args.length !== 2) throw new CommandError(usage);
      const zone = find(args[0]);
      const { bus, address, chip } = ext.profiles.get(zone.name)!.amp;
      if (bus === undefined || address === undefined) throw new CommandError(`zone ${zone.name} has no I2C chip (${chip})`);
      const sim = ext.hardware!.sim!;
      const where = `${chip} at 0x${address.toString(16)} on bus ${bus}`;
      switch (args[1]!.toLowerCase()) {
        case 'eio':
          sim.chipStops(bus, address, 'EIO');
          return { text: `${zone.name}: ${where} fails every transfer (EIO)` };
        case 'nack':
          sim.chipStops(bus, address, 'EREMOTEIO');
          return { text: `${zone.name}: ${where} acknowledges nothing (EREMOTEIO)` };
        case 'ok':
          if (sim.i2c.answering(bus, address)) throw new CommandError(`${zone.name}: ${where} is answering already`);
          sim.chipReturns(bus, address);
          return { text: `${zone.name}: ${where} answers again, from its reset state` };
        default:
          throw new CommandError(usage);
      }
    },
  });
}
