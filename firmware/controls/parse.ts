import { UserError } from '../core/errors.js';
import type { Control } from './control.js';

type Json = Record<string, unknown>;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** The spellings a control takes as text, as declared (the case MQTT payloads are shown in). */
export function spellings(c: Control<unknown>): string[] {
  return Object.keys(c.words ?? {});
}

function lookup(c: Control<unknown>, text: string): { found: boolean; value?: unknown } {
  const key = spellings(c).find((w) => w.toLowerCase() === text.toLowerCase());
  return key === undefined ? { found: false } : { found: true, value: c.words![key] };
}

/** How the value is written in a console synopsis: `on|off|auto` or `<0-100>`. */
export function synopsis(c: Control<unknown>): string {
  if (c.words) return spellings(c).map((w) => w.toLowerCase()).join('|');
  const s = c.value as unknown as Json;
  return `<${String(s.minimum ?? '')}-${String(s.maximum ?? '')}>`;
}

function expected(c: Control<unknown>): string {
  if (c.words) {
    const w = spellings(c);
    return `expected ${w.length > 1 ? `${w.slice(0, -1).join(', ')} or ${w.at(-1)}` : w[0]}`;
  }
  return `expected ${synopsisRange(c)}`;
}

function synopsisRange(c: Control<unknown>): string {
  const s = c.value as unknown as Json;
  return `a number ${String(s.minimum)}-${String(s.maximum)}`;
}

function inRange(c: Control<unknown>, n: number, shown: string): number {
  const s = c.value as unknown as Json;
  if (!Number.isFinite(n)) throw new UserError(`${c.key} must be ${synopsisRange(c)}`);
  if ((typeof s.minimum === 'number' && n < s.minimum) || (typeof s.maximum === 'number' && n > s.maximum)) {
    throw new UserError(`${c.key} ${shown} is out of range ${String(s.minimum)}-${String(s.maximum)}`);
  }
  return n;
}

/** The one parser for text: an MQTT `<key>/set` payload or a console word. */
export function parseText<T>(c: Control<unknown>, text: string): T {
  const t = text.trim();
  if (t.length === 0) throw new UserError(`empty payload: ${c.key} ${expected(c)}`);
  if (c.words) {
    const hit = lookup(c, t);
    if (!hit.found) throw new UserError(`${c.key} '${t.slice(0, 16)}': ${expected(c)}`);
    return hit.value as T;
  }
  if (!NUMBER.test(t)) throw new UserError(`${c.key} '${t.slice(0, 16)}': ${expected(c)}`);
  return inRange(c, Number(t), `'${t}'`) as T;
}

/** The one parser for a field of a JSON `set` object: the value in its JSON type. */
export function parseJson<T>(c: Control<unknown>, raw: unknown): T {
  const s = c.value as unknown as Json;
  if (Array.isArray(s.enum)) {
    const allowed = s.enum as string[];
    const v = typeof raw === 'string' ? raw.toLowerCase() : undefined;
    if (v === undefined || !allowed.includes(v)) throw new UserError(`${c.key} must be ${allowed.map((x) => `"${x}"`).join(', ').replace(/, ([^,]*)$/, ' or $1')}`);
    return v as T;
  }
  if (s.type === 'boolean') {
    if (typeof raw !== 'boolean') throw new UserError(`${c.key} must be true or false`);
    return raw as T;
  }
  if (typeof raw !== 'number') throw new UserError(`${c.key} must be ${synopsisRange(c)}`);
  return inRange(c, raw, String(raw)) as T;
}
