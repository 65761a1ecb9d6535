import type { BoxContext } from '../context.js';
import { CommandError } from '../core/commands.js';
import type { SimCard } from '../sim/proc-tree.js';
import type { CaptureExtension } from './index.js';
import type { CaptureInput } from './input.js';

/** `input`, `input <i>`, and on the sim board `sim tone|silence|unplug|plug|readerror <input>`. */
export function registerCaptureCommands(ctx: BoxContext, capture: CaptureExtension): void {
  const find = (name: string | undefined): CaptureInput => {
    const known = [...capture.inputs.keys()].join(', ');
    if (name === undefined) throw new CommandError(`which input? (inputs: ${known})`);
    const input = capture.inputs.get(name.toLowerCase());
    if (!input) throw new CommandError(`unknown input '${name.slice(0, 32)}' (inputs: ${known})`);
    return input;
  };
  const describe = (i: CaptureInput) => ({ name: i.name, ...i.state, levels: i.lastLevels ?? null, overruns: i.overruns, failures: i.failures, last_error: i.lastError ?? null });

  ctx.commands.register({
    words: ['input'],
    args: '[<input>]',
    summary: 'capture inputs: presence, capture, alarm and last levels',
    readOnly: true,
    run(args) {
      if (args.length > 1) throw new CommandError('usage: input [<input>]');
      if (args.length === 1) {
        const d = describe(find(args[0]));
        const lines = [
          `${d.name}: ${d.present ? 'present' : 'absent'}, ${d.capturing ? 'capturing' : 'not capturing'}, alarm ${d.alarm ?? 'none'}`,
          `  device: ${d.pcm ?? '-'} (card ${d.card ?? '-'}, device ${d.device ?? '-'}), ${d.format} ${d.rate} Hz, ${d.channels} ch`,
          `  peak dBFS: ${d.levels ? d.levels.peak_dbfs.join(' ') : '-'}  rms dBFS: ${d.levels ? d.levels.rms_dbfs.join(' ') : '-'}  clipped: ${d.levels ? d.levels.clipped.join(' ') : '-'}`,
          `  loudness: momentary ${lufs(d.levels?.momentary_lufs)}, short-term ${lufs(d.levels?.short_term_lufs)}, integrated ${lufs(d.levels?.integrated_lufs)}, range ${d.levels ? `${d.levels.lra_lu.toFixed(1)} LU` : '-'}, true peak ${d.levels ? `${d.levels.true_peak_dbtp.toFixed(1)} dBTP` : '-'}`,
          `  overruns ${d.overruns}, failures ${d.failures}${d.last_error ? `, last error: ${d.last_error}` : ''}`,
        ];
        return { text: lines.join('\n'), data: d };
      }
      const all = [...capture.inputs.values()].map(describe);
      const text = all.map((d) => `${d.name.padEnd(12)} ${(d.present ? 'present' : 'absent').padEnd(8)} ${(d.capturing ? 'capturing' : '-').padEnd(10)} alarm ${(d.alarm ?? 'none').padEnd(8)} peak ${d.levels ? d.levels.peak_dbfs.join('/') : '-'}`).join('\n');
      return { text: text || 'no inputs', data: all };
    },
  });

  if (!ctx.profile.simulated) return;
  const unplugged = new Map<string, SimCard>();
  const tree = () => {
    if (!ctx.simTree) throw new CommandError('the simulated /proc tree is not the box\'s own (ROOMBOX_PROC_ROOT is set): change the fixture tree instead');
    return ctx.simTree;
  };
  const oneInput = (args: string[], usage: string) => {
    if (args.length !== 1) throw new CommandError(`usage: ${usage}`);
    return find(args[0]);
  };

  ctx.commands.register({
    words: ['sim', 'tone'],
    args: '<input> <dbfs>',
    summary: 'sim: feed the input a 1 kHz sine at <dbfs> (-120 to 0) on every channel',
    readOnly: false,
    run(args) {
      if (args.length !== 2) throw new CommandError('usage: sim tone <input> <dbfs>');
      const input = find(args[0]);
      const dbfs = Number(args[1]);
      if (!/^-?\d+(\.\d+)?$/.test(args[1]!) || dbfs < -120 || dbfs > 0) throw new CommandError(`level '${args[1]!.slice(0, 16)}' is not a number from -120 to 0 dBFS`);
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
      if (unplugged.has(input.name)) throw new CommandError(`${input.name} is already unplugged`);
      const index = input.state.card;
      const card = index === null ? undefined : t.card(index);
      if (!card) throw new CommandError(`${input.name} has no simulated card plugged in`);
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
      if (!reader) throw new CommandError(`${input.name} is not capturing`);
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
      if (!card) throw new CommandError(`${input.name} is not unplugged`);
      if (t.hasCard(card.index)) throw new CommandError(`card ${card.index} is taken by another card`);
      t.addCard(card);
      unplugged.delete(input.name);
      return { text: `${input.name}: card ${card.index} (${card.id}) plugged in` };
    },
  });
}

function lufs(v: number | null | undefined): string {
  return v === undefined || v === null ? '-' : `${v.toFixed(1)} LUFS`;
}
