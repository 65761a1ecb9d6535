import type { CommandDef, CommandOutput } from '../core/commands.js';
import { UserError } from '../core/errors.js';
import type { ControlFeature } from './control.js';
import { applyAll, findTarget } from './mqtt-routes.js';
import { parseText, synopsis } from './parse.js';

export interface ReadForm<T> {
  summary: string;
  /** `<noun>` alone, or `<noun> <name>`. */
  run(target: { name: string; value: T } | undefined): CommandOutput;
}

/** The console lines a control takes: `zone <zone> volume <0-100>`. */
export function controlForms<T>(feature: ControlFeature<T>): { args: string; summary: string }[] {
  return feature.controls.map((c) => ({ args: `<${feature.noun}> ${c.key} ${synopsis(c)}`, summary: c.help }));
}

/**
 * The feature's console command: `<noun>` and `<noun> <name>` read (and take --json);
 * `<noun> <name> <key> <value>` sets one control through the same parser as MQTT.
 */
export function controlCommand<T>(feature: ControlFeature<T>, read: ReadForm<T>): CommandDef {
  const usage = `usage: ${feature.noun} <${feature.noun}> ${feature.controls.map((c) => `${c.key} ${synopsis(c)}`).join(' | ')}`;
  return {
    words: [feature.noun],
    args: `[<${feature.noun}>]`,
    summary: read.summary,
    forms: controlForms(feature),
    // Reading is the common case; the changing forms refuse --json themselves.
    readOnly: true,
    async run(args, cc) {
      if (args.length === 0) return read.run(undefined);
      const name = args[0]!.toLowerCase();
      const target = findTarget(feature, name);
      if (args.length === 1) return read.run({ name, value: target });
      if (cc.json) throw new UserError(`'${feature.noun} ${args[1]}' changes the box and takes no --json`);
      const control = feature.controls.find((c) => c.key === args[1]!.toLowerCase());
      if (!control || args.length !== 3) throw new UserError(usage);
      const notes = await applyAll(target, [[control, parseText(control, args[2]!)]]);
      return { text: [feature.describe(name, target), ...notes.map((n) => `(${n})`)].join('\n') };
    },
  };
}
