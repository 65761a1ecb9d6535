import type { BoxContext } from '../context.js';
import type { CaptureExtension } from '../capture/index.js';
import type { CaptureInput } from '../capture/input.js';
import { findTarget } from '../controls/mqtt-routes.js';
import { UserError } from '../core/errors.js';
import type { SimCard } from './proc-tree.js';

/** `sim tone|silence|unplug|plug|readerror <input>`: the signal and the card of the simulated inputs. */
export function registerInputSimCommands(ctx: BoxContext, capture: CaptureExtension): void {
  const find = (name: string | undefined): CaptureInput => findTarget(capture.feature, name);
  const unplugged = new Map<string, SimCard>();
  const tree = () => {
    if (!ctx.simTree) throw new UserError('the simulated /proc tree is not the box\'s own (ROOMBOX_PROC_ROOT is set): change the fixture tree instead');
    return ctx.simTree;
  };
  const oneInput = (args: string[], usage: string) => {
    if (args.length !== 1) throw new UserError(`usage: ${usage}`);
    return find(args[0]);
  };

  ctx.commands.register({
    words: ['sim', 'tone'],
    args: '<input> <dbfs>',
    summary: 'sim: feed the input a 1 kHz sine at <dbfs> (-120 to 0) on every channel',
    readOnly: false,
    run(args) {
      if (args.length !== 2) throw new UserError('usage: sim tone <input> <dbfs>');
      const input = find(args[0]);
      const dbfs = Number(args[1]);
      if (!/^-?\d+(\.\d+)?$/.test(args[1]!) || dbfs < -120 || dbfs > 0) throw new UserError(`level '${args[1]!.slice(0, 16)}' is not a number from -120 to 0 dBFS`);
      capture.simSignals.get(input.name)!.signal = { kind: 'tone', dbfs, hz: 1000 };
      return { text: `${input.name}: 1 kHz sine at ${dbfs} dBFS` };
    },
  });
  ctx.commands.register({
    words: ['sim', 'silence'],
    args: '<input>',
    summary: 'sim: feed the input digital silence',
    readOnly: false,
    run(args) {
      const input = oneInput(args, 'sim silence <input>');
      capture.simSignals.get(input.name)!.signal = { kind: 'silence' };
      return { text: `${input.name}: digital silence` };
    },
  });
  ctx.commands.register({
    words: ['sim', 'unplug'],
    args: '<input>',
    summary: "sim: unplug the input's card (removed from the simulated /proc/asound; a capture reading it fails at once, as ALSA's read does)",
    readOnly: false,
    run(args) {
      const input = oneInput(args, 'sim unplug <input>');
      const t = tree();
      if (unplugged.has(input.name)) throw new UserError(`${input.name} is already unplugged`);
      const index = input.state.card;
      const card = index === null ? undefined : t.card(index);
      if (!card) throw new UserError(`${input.name} has no simulated card plugged in`);
      t.removeCard(card.index);
      unplugged.set(input.name, card);
      capture.simSignals.get(input.name)!.reader?.fail('No such device');
      return { text: `${input.name}: card ${card.index} (${card.id}) unplugged` };
    },
  });
  ctx.commands.register({
    words: ['sim', 'readerror'],
    args: '<input>',
    summary: "sim: the input's capture read fails with an I/O error while its card stays present",
    readOnly: false,
    run(args) {
      const input = oneInput(args, 'sim readerror <input>');
      const reader = capture.simSignals.get(input.name)!.reader;
      if (!reader) throw new UserError(`${input.name} is not capturing`);
      reader.fail('Input/output error');
      return { text: `${input.name}: capture read failed (Input/output error)` };
    },
  });
  ctx.commands.register({
    words: ['sim', 'plug'],
    args: '<input>',
    summary: "sim: plug the input's card back in",
    readOnly: false,
    run(args) {
      const input = oneInput(args, 'sim plug <input>');
      const t = tree();
      const card = unplugged.get(input.name);
      if (!card) throw new UserError(`${input.name} is not unplugged`);
      if (t.hasCard(card.index)) throw new UserError(`card ${card.index} is taken by another card`);
      t.addCard(card);
      unplugged.delete(input.name);
      return { text: `${input.name}: card ${card.index} (${card.id}) plugged in` };
    },
  });
}
