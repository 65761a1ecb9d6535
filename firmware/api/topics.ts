import { Diagnostics, ErrorReport, Info, Request, Response, Status, Telemetry } from './box.js';
import { AlarmEvent, Event, type PublishedEvent } from './events.js';
import { InputState, Levels, Peak } from './input.js';
import type { Static, TSchema } from './schema.js';
import { UpdateState } from './update.js';
import { ZoneState } from './zone.js';

export interface TopicSpec<S extends TSchema = TSchema> {
  /** Under P; `<zone>` and `<input>` stand for a name. */
  path: string;
  direction: 'out' | 'in';
  retained: boolean;
  qos: 0 | 1;
  /** A plain text payload (not JSON). */
  text?: boolean;
  schema: S;
  summary: string;
}

const out = <S extends TSchema>(path: string, schema: S, o: { retained: boolean; qos: 0 | 1; text?: boolean }, summary: string): TopicSpec<S> => ({ path, direction: 'out', schema, summary, ...o });

/**
 * Every topic the box publishes, with its payload schema. Command topics (`in`) come from the
 * features' control declarations (see `firmware/controls/`) and from `REQUEST`.
 */
export const TOPICS = {
  status: out('status', Status, { retained: true, qos: 1, text: true }, 'online / offline'),
  info: out('info', Info, { retained: true, qos: 1 }, 'what the box is'),
  diagnostics: out('diagnostics', Diagnostics, { retained: true, qos: 1 }, 'restart reason, boot count, last error, selftest result'),
  zoneState: out('zone/<zone>/state', ZoneState, { retained: true, qos: 1 }, 'the zone as it is'),
  inputState: out('input/<input>/state', InputState, { retained: true, qos: 1 }, 'the input as it is'),
  inputLevels: out('input/<input>/levels', Levels, { retained: false, qos: 0 }, 'levels, ROOMBOX_LEVELS_HZ times a second'),
  inputPeak: out('input/<input>/peak', Peak, { retained: false, qos: 0 }, 'the highest peak of about a second (for Home Assistant)'),
  zoneAlarm: out('zone/<zone>/alarm', AlarmEvent, { retained: false, qos: 1 }, "the zone's alarm events, live, for Home Assistant's event entity"),
  inputAlarm: out('input/<input>/alarm', AlarmEvent, { retained: false, qos: 1 }, "the input's alarm events, live, for Home Assistant's event entity"),
  update: out('update', UpdateState, { retained: true, qos: 1 }, "the update agent: versions, progress, slots (Home Assistant's update entity)"),
  event: out('event', Event, { retained: false, qos: 1 }, 'box events, through the outbox'),
  telemetry: out('telemetry', Telemetry, { retained: false, qos: 1 }, 'every ROOMBOX_TELEMETRY_S, through the outbox'),
  response: out('response', Response, { retained: false, qos: 1 }, 'the answer to a P/request'),
  error: out('error', ErrorReport, { retained: false, qos: 1 }, 'one per rejected command'),
} as const;

export const REQUEST: TopicSpec<typeof Request> = { path: 'request', direction: 'in', retained: false, qos: 1, schema: Request, summary: 'a console command line, answered on P/response' };

export type TopicKey = keyof typeof TOPICS;
/** The payload of a topic, as TypeScript sees it. P/event is typed by the event union. */
export type Payload<K extends TopicKey> = K extends 'event' ? PublishedEvent : Static<(typeof TOPICS)[K]['schema']>;

/** A full topic name that knows its payload type. */
export type Topic<K extends TopicKey> = string & { readonly __payload: K };

/** Builds `P/<path>` with its names filled in. */
export function topicOf<K extends TopicKey>(base: string, key: K, names: { zone?: string; input?: string } = {}): Topic<K> {
  const path = TOPICS[key].path.replace('<zone>', names.zone ?? '<zone>').replace('<input>', names.input ?? '<input>');
  return `${base}/${path}` as Topic<K>;
}

/** The JSON Schema of every topic's payload, keyed by its path (for consumers and docs). */
export function jsonSchemas(): Record<string, unknown> {
  return Object.fromEntries([...Object.values(TOPICS), REQUEST].map((t) => [t.path, JSON.parse(JSON.stringify(t.schema)) as unknown]));
}
