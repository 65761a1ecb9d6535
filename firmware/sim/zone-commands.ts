import { SimGpioBinding } from '../hal/gpio/sim-binding.js';
import type { BoxContext } from '../context.js';
import { findTarget } from '../controls/mqtt-routes.js';
import type { TimerHandle } from '../core/clock.js';
import { UserError } from '../core/errors.js';
import type { ZonesExtension } from '../zones/index.js';
import type { Zone } from '../zones/zone.js';
import { runningStatus } from './proc-tree.js';
import type { SimHardware } from './sim-hardware.js';

/** `sim play|fault|chip <zone> ...`: playback, the fault line and the amp chip of the simulated zones. */
export function registerZoneSimCommands(ctx: BoxContext, ext: ZonesExtension, sim: SimHardware, onStop: (fn: () => void) => void): void {
  const find = (name: string | undefined): Zone => findTarget(ext.feature, name);
  const onOff = (v: string | undefined, usage: string): boolean => {
    const t = v?.toLowerCase();
    if (t !== 'on' && t !== 'off') throw new UserError(`usage: ${usage}`);
    return t === 'on';
  };
  const players = new Map<string, { timer?: TimerHandle; hwPtr: number }>();
  ctx.commands.register({
    words: ['sim', 'play'],
    args: '<zone> on|off',
    summary: "sim: the zone's playback stream runs with an advancing hw_ptr (on) or stalls (off)",
    readOnly: false,
    run(args) {
      if (args.length !== 2) throw new UserError('usage: sim play <zone> on|off');
      const zone = find(args[0]);
      const on = onOff(args[1], 'sim play <zone> on|off');
      const tree = ctx.simTree;
      if (!tree) throw new UserError("the /proc tree is not the box's own (ROOMBOX_PROC_ROOT is set): write the fixture tree instead");
      const pb = ext.profiles.get(zone.name)!.playback;
      if (typeof pb.card !== 'number') throw new UserError(`zone ${zone.name} names its card by id; sim play needs a card number`);
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
  onStop(() => {
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
      if (args.length < 2) throw new UserError(usage);
      const zone = find(args[0]);
      const what = args[1]!.toLowerCase();
      const spec = ext.profiles.get(zone.name)!.gpio.fault;
      if (!spec) throw new UserError(`zone ${zone.name} has no fault line`);
      const activeLevel = spec.active === 'high' ? 1 : 0;
      const rest = (1 - activeLevel) as 0 | 1;
      const lines = sim.lines;
      chatters.get(zone.name)?.();
      chatters.delete(zone.name);
      if (what === 'chatter') {
        if (args.length > 4) throw new UserError(usage);
        const [periodMs, toggles] = [args[2] ?? '5', args[3] ?? '400'].map((v) => (/^\d+$/.test(v) ? Number(v) : NaN));
        if (!(periodMs! >= 1 && periodMs! <= 1000) || !(toggles! >= 1 && toggles! <= 100_000)) throw new UserError('period-ms is 1-1000 and toggles 1-100000');
        chatters.set(zone.name, lines.chatter(SimGpioBinding.offsetOf(spec.line), { clock: ctx.clock, periodMs: periodMs!, toggles: toggles!, rest }));
        return { text: `${zone.name}: fault line ${spec.line} toggles every ${periodMs} ms, ${toggles} times, then is released` };
      }
      if (args.length !== 2) throw new UserError(usage);
      const on = onOff(what, usage.slice('usage: '.length));
      lines.inject(SimGpioBinding.offsetOf(spec.line), on ? activeLevel : rest);
      return { text: `${zone.name}: fault line ${spec.line} ${on ? 'active' : 'released'}` };
    },
  });
  onStop(() => {
    for (const stop of chatters.values()) stop();
  });

  ctx.commands.register({
    words: ['sim', 'chip'],
    args: '<zone> eio|nack|ok',
    summary: "sim: the zone's amp chip stops answering (every transfer fails with EIO, or is not acknowledged: EREMOTEIO), or answers again (from its power-on reset state)",
    readOnly: false,
    run(args) {
      const usage = 'usage: sim chip <zone> eio|nack|ok';
      if (args.length !== 2) throw new UserError(usage);
      const zone = find(args[0]);
      const { bus, address, chip } = ext.profiles.get(zone.name)!.amp;
      if (bus === undefined || address === undefined) throw new UserError(`zone ${zone.name} has no I2C chip (${chip})`);
            const where = `${chip} at 0x${address.toString(16)} on bus ${bus}`;
      switch (args[1]!.toLowerCase()) {
        case 'eio':
          sim.chipStops(bus, address, 'EIO');
          return { text: `${zone.name}: ${where} fails every transfer (EIO)` };
        case 'nack':
          sim.chipStops(bus, address, 'EREMOTEIO');
          return { text: `${zone.name}: ${where} acknowledges nothing (EREMOTEIO)` };
        case 'ok':
          if (sim.i2c.answering(bus, address)) throw new UserError(`${zone.name}: ${where} is answering already`);
          sim.chipReturns(bus, address);
          return { text: `${zone.name}: ${where} answers again, from its reset state` };
        default:
          throw new UserError(usage);
      }
    },
  });
}
