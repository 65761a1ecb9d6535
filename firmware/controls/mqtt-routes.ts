import { UserError } from '../core/errors.js';
import { parseJsonObject } from '../core/json.js';
import type { Control, ControlFeature } from './control.js';
import { parseJson, parseText } from './parse.js';

/** Where routes are added: the MQTT router, seen through what this module needs of it. */
export interface RouteSink {
  route(pattern: string, handler: (payload: Buffer, params: string[]) => Promise<void>): void;
}

/** The target a command names, or a UserError listing the known ones. */
export function findTarget<T>(feature: ControlFeature<T>, name: string | undefined): T {
  const targets = feature.targets();
  const known = [...targets.keys()].join(', ') || 'none';
  if (name === undefined) throw new UserError(`which ${feature.noun}? (${feature.plural}: ${known})`);
  const target = targets.get(name.toLowerCase());
  if (!target) throw new UserError(`unknown ${feature.noun} '${name.slice(0, 32)}' (${feature.plural}: ${known})`);
  return target;
}

/** Applies parsed values in the order the controls are declared. */
export async function applyAll<T>(target: T, values: [Control<T>, unknown][]): Promise<string[]> {
  const notes: string[] = [];
  for (const [c, v] of values) {
    const note = await c.apply(target, v as never);
    if (note) notes.push(note);
  }
  return notes;
}

/** Parses the JSON `set` object: any of the `inSet` controls, nothing else, every field checked first. */
export function parseSetObject<T>(feature: ControlFeature<T>, payload: Buffer | string): [Control<T>, unknown][] {
  const obj = parseJsonObject(payload);
  const inSet = feature.controls.filter((c) => c.inSet);
  const names = inSet.map((c) => c.key).join(', ');
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new UserError(`empty command: expected any of ${names}`);
  const unknown = keys.filter((k) => !inSet.some((c) => c.key === k));
  if (unknown.length) throw new UserError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k.slice(0, 32)}'`).join(', ')}: expected ${names}`);
  return inSet.filter((c) => Object.hasOwn(obj, c.key)).map((c) => [c, parseJson(c, obj[c.key])]);
}

/** `<noun>/<name>/<key>/set` per control and `<noun>/<name>/set` (JSON), as topic paths under P. */
export function commandPaths<T>(feature: ControlFeature<T>, name = '+'): { path: string; control?: Control<T> }[] {
  return [{ path: `${feature.noun}/${name}/set` }, ...feature.controls.map((c) => ({ path: `${feature.noun}/${name}/${c.key}/set`, control: c }))];
}

/** Adds the feature's command routes. */
export function routeControls<T>(router: RouteSink, feature: ControlFeature<T>): void {
  for (const { path, control } of commandPaths(feature)) {
    router.route(path, async (payload, [name]) => {
      const target = findTarget(feature, name);
      const values: [Control<T>, unknown][] = control ? [[control, parseText(control, payload.toString('utf8'))]] : parseSetObject(feature, payload);
      await applyAll(target, values);
    });
  }
}

/** Parses a payload for one of the feature's command paths (`set`, `volume/set`, ...) without applying it. */
export function parseCommand<T>(feature: ControlFeature<T>, suffix: string, payload: Buffer): unknown {
  if (suffix === 'set') return parseSetObject(feature, payload);
  const c = feature.controls.find((x) => `${x.key}/set` === suffix);
  if (!c) throw new Error(`no control for ${suffix}`);
  return parseText(c, payload.toString('utf8'));
}
