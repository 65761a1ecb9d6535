import type { Static, TSchema } from '../api/schema.js';

/** Home Assistant platforms the box's entities use. */
export type Platform = 'switch' | 'number' | 'select' | 'binary_sensor' | 'sensor' | 'button' | 'event' | 'update';

/**
 * One control of a feature, declared once: its key, the value it takes (JSON Schema; the one
 * parser reads MQTT text, MQTT JSON and console words against it), how Home Assistant shows it,
 * its help line, and what applying it does. MQTT routes, the console command and its help, the
 * Home Assistant entity and the doc line are derived from this (see the modules beside it).
 */
export interface Control<Target, S extends TSchema = TSchema> {
  key: string;
  value: S;
  /** Text spellings (MQTT text payload, console word; case-insensitive) and their values. Absent: a number. */
  words?: Readonly<Record<string, Static<S>>>;
  /** Also a field of the JSON `<noun>/<name>/set` object. */
  inSet?: boolean;
  help: string;
  ha?: {
    platform: Platform;
    /** Appended to the target's label: `<label> <name>`. */
    name: string;
    /** Platform options besides name, state and command topics (payloads, value_template, ...). */
    options: Readonly<Record<string, unknown>>;
  };
  /** Applies a parsed value; may return a note the console prints under the target's new state. */
  apply(target: Target, value: Static<S>): Promise<string | void> | string | void;
}

/** Declares a control, keeping its value type tied to its schema. */
export function control<Target, S extends TSchema>(c: Control<Target, S>): Control<Target, S> {
  return c;
}

/** A feature's controllable things (zones, say): their noun, names, state and controls. */
export interface ControlFeature<Target> {
  /** Topic level and console word: `zone`. */
  noun: string;
  /** Plural for messages: `zones`. */
  plural: string;
  // Controls of different value types share one list; each is type-checked where it is declared.
  controls: readonly Control<Target, any>[];
  targets(): ReadonlyMap<string, Target>;
  /** What Home Assistant calls a target (its profile label). */
  label(name: string): string;
  /** The one-line state shown by the console after a change, and by `<noun> <name>`. */
  describe(name: string, target: Target): string;
}
