import { ALARMS } from './input.js';
import { OneOf, Timestamp, Type, type Static, type TSchema } from './schema.js';
import { Slot } from './update.js';
import { Mode, Power } from './zone.js';

type Target = 'zone' | 'input' | undefined;
interface EventSpec {
  /** The zone or input the event is about, when it is about one. */
  target: Target;
  detail?: TSchema;
  summary: string;
}

const spec = <S extends EventSpec>(s: S) => s;
const CHIP_OR_LINE =
  "`line`: the amp's fault line (`line` its BCM number); `chip`: the amp chip stopped answering on I2C; `power_up`: a step of the power-up failed (cleared by the next power-up that succeeds or by power off)";

/** Every type of P/event, with what it is about and the shape of its detail. */
export const EVENTS = {
  started: spec({ target: undefined, summary: 'the firmware started', detail: Type.Object({ version: Type.String(), board: Type.String() }) }),
  database_recovered: spec({
    target: undefined,
    summary: 'the database was damaged at start: moved aside, a new one started',
    detail: Type.Object({ movedAside: Type.String({ description: 'where the damaged file went' }), reason: Type.String() }),
  }),
  storage_error: spec({
    target: undefined,
    summary: 'the database cannot be written (disk full, I/O error), or is from a newer firmware and kept untouched (`persistence: "off"`: the box runs without it)',
    detail: Type.Object({ error: Type.String(), persistence: Type.Optional(Type.Literal('off')) }),
  }),
  outbox_dropped: spec({
    target: undefined,
    summary: 'the outbox overflowed while the broker was away: the oldest messages were dropped',
    detail: Type.Object({ dropped: Type.Integer(), max: Type.Integer() }),
  }),
  command_rejected: spec({ target: undefined, summary: 'a command was refused (also on P/error)', detail: Type.Object({ topic: Type.String(), error: Type.String() }) }),
  retained_command_cleared: spec({
    target: undefined,
    summary: 'a command arrived retained: not obeyed, and cleared on the broker',
    detail: Type.Object({ topic: Type.String({ description: 'the topic that held the retained command' }) }),
  }),
  power_changed: spec({
    target: 'zone',
    summary: "the zone's power changed",
    detail: Type.Object({ from: Power, to: Power, mode: Mode, reason: Type.String({ description: 'command, playback, idle, fault, mode, auto, restored' }) }),
  }),
  amp_fault: spec({
    target: 'zone',
    summary: `the amp faulted: ${CHIP_OR_LINE}`,
    detail: Type.Union([
      Type.Object({ cause: Type.Literal('line'), line: Type.Integer() }),
      Type.Object({ cause: Type.Literal('chip'), chip: Type.String(), error: Type.String() }),
      Type.Object({ cause: Type.Literal('power_up'), step: Type.String(), error: Type.String() }),
    ]),
  }),
  amp_fault_cleared: spec({
    target: 'zone',
    summary: 'the fault is gone (the zone stays off until power is asked for again)',
    detail: Type.Union([
      Type.Object({ cause: Type.Literal('line'), line: Type.Integer() }),
      Type.Object({ cause: Type.Literal('chip'), chip: Type.String() }),
      Type.Object({ cause: Type.Literal('power_up') }),
    ]),
  }),
  volume_capped: spec({
    target: 'zone',
    summary: 'the player was set above the cap and was set back',
    detail: Type.Object({ from: Type.Number(), to: Type.Number(), source: Type.Literal('player') }),
  }),
  input_present: spec({
    target: 'input',
    summary: 'the capture device appeared',
    detail: Type.Object({ card: Type.Union([Type.Integer(), Type.Null()]), card_id: Type.Optional(Type.String()), device: Type.Union([Type.Integer(), Type.Null()]), pcm: Type.String() }),
  }),
  input_absent: spec({ target: 'input', summary: 'the capture device is gone (or absent at start)' }),
  alarm_silence: spec({ target: 'input', summary: 'every channel under the silence threshold for the hold time', detail: Type.Object({ threshold_dbfs: Type.Number(), hold_s: Type.Number() }) }),
  alarm_quiet: spec({
    target: 'input',
    summary: 'short-term loudness under ROOMBOX_QUIET_LUFS for ROOMBOX_SILENCE_S',
    detail: Type.Object({ threshold_lufs: Type.Optional(Type.Number()), hold_s: Type.Number(), short_term_lufs: Type.Optional(Type.Number()) }),
  }),
  alarm_clip: spec({ target: 'input', summary: 'samples at full scale', detail: Type.Object({ clipped: Type.Optional(Type.Array(Type.Integer())) }) }),
  alarm_cleared: spec({ target: 'input', summary: 'the alarm is over', detail: Type.Object({ alarm: OneOf(ALARMS) }) }),
  record_started: spec({ target: 'input', summary: 'the input started recording', detail: Type.Object({ room: Type.String() }) }),
  record_stopped: spec({ target: 'input', summary: 'the input stopped recording', detail: Type.Object({ reason: Type.String({ description: 'command, disk_full' }) }) }),
  record_failed: spec({ target: 'input', summary: 'the encoder failed; a new file is tried after 5 s', detail: Type.Object({ error: Type.String() }) }),
  record_segment_closed: spec({
    target: 'input',
    summary: 'a recording file was closed whole',
    detail: Type.Object({ file: Type.String(), started_at: Timestamp, duration_s: Type.Number(), bytes: Type.Integer() }),
  }),
  record_segment_recovered: spec({
    target: 'input',
    summary: 'a file left open by a crash or power cut was cut after its last whole frame and finished',
    detail: Type.Object({ file: Type.String(), duration_s: Type.Number(), cut_bytes: Type.Integer() }),
  }),
  record_disk_low: spec({ target: undefined, summary: 'the recording disk has less than ROOMBOX_RECORD_MIN_FREE_MB free', detail: Type.Object({ free_mb: Type.Number(), min_free_mb: Type.Number() }) }),
  record_disk_ok: spec({ target: undefined, summary: 'the recording disk has room again', detail: Type.Object({ free_mb: Type.Number(), min_free_mb: Type.Number() }) }),
  record_segment_deleted: spec({ target: undefined, summary: 'a file already copied off the box was deleted to make room', detail: Type.Object({ file: Type.String(), reason: Type.String() }) }),
  record_uploaded: spec({ target: undefined, summary: 'a recording file was copied off the box and verified', detail: Type.Object({ file: Type.String() }) }),
  record_upload_failed: spec({ target: undefined, summary: "a file's first failed copy (retried with backoff)", detail: Type.Object({ file: Type.String(), error: Type.String() }) }),
  update_started: spec({ target: undefined, summary: 'an update began writing the inactive slot', detail: Type.Object({ from_version: Type.String(), to_version: Type.String(), slot: Slot }) }),
  update_written: spec({
    target: undefined,
    summary: 'the inactive slot was written and read back; the box reboots into it for a trial',
    detail: Type.Object({ from_version: Type.String(), to_version: Type.String(), slot: Slot }),
  }),
  update_committed: spec({ target: undefined, summary: 'the trial boot was healthy: the new slot is now the one the box boots', detail: Type.Object({ from_version: Type.String(), to_version: Type.String(), slot: Slot }) }),
  update_rolled_back: spec({
    target: undefined,
    summary: 'the trial boot of an update did not commit: the box runs the old slot again',
    detail: Type.Object({ from_version: Type.String(), to_version: Type.String(), reason: Type.String({ description: 'why the trial boot was given up' }) }),
  }),
  update_failed: spec({ target: undefined, summary: 'an update was refused or broke off; no slot the box boots was changed', detail: Type.Object({ error: Type.String(), to_version: Type.Optional(Type.String()) }) }),
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENTS;
type TargetField<T extends Target> = T extends 'zone' ? { zone: string } : T extends 'input' ? { input: string } : object;
type DetailField<S> = S extends TSchema ? { detail: Static<S> } : object;
type EventOf<K extends EventType> = { type: K; ts?: string } & TargetField<(typeof EVENTS)[K]['target']> & DetailField<(typeof EVENTS)[K] extends { detail: infer D } ? D : undefined>;

/** A box event as a module announces it on the bus: one member per type, its detail typed. */
export type BoxEventInput = { [K in EventType]: EventOf<K> }[EventType];
/** The detail of one event type. */
export type EventDetail<K extends EventType> = (typeof EVENTS)[K] extends { detail: infer D extends TSchema } ? Static<D> : undefined;
/** Event types about an input. */
export type InputEventType = { [K in EventType]: (typeof EVENTS)[K]['target'] extends 'input' ? K : never }[EventType];
/** Event types about a zone. */
export type ZoneEventType = { [K in EventType]: (typeof EVENTS)[K]['target'] extends 'zone' ? K : never }[EventType];

/** P/event as published: the input plus seq and ts. */
export type PublishedEvent = BoxEventInput & { seq: number; ts: string };

/** The JSON Schema of P/event: one branch per type. */
export const Event = Type.Union(
  Object.entries(EVENTS).map(([type, s]) =>
    Type.Object({
      seq: Type.Integer(),
      ts: Timestamp,
      type: Type.Literal(type),
      ...(s.target === 'zone' ? { zone: Type.String() } : s.target === 'input' ? { input: Type.String() } : {}),
      ...('detail' in s && s.detail ? { detail: s.detail } : {}),
    }),
  ),
);

/** Alarm events repeated per zone or input for Home Assistant's `event` entities: the event type HA shows. */
export const ALARM_EVENTS = {
  zone: { amp_fault: 'amp_fault', amp_fault_cleared: 'amp_fault_cleared' },
  input: { alarm_silence: 'silence', alarm_quiet: 'quiet', alarm_clip: 'clip', input_absent: 'absent', alarm_cleared: 'cleared' },
} as const satisfies { zone: Partial<Record<EventType, string>>; input: Partial<Record<EventType, string>> };

export const AlarmEvent = Type.Object({
  event_type: Type.String({ description: `one of ${[...Object.values(ALARM_EVENTS.zone), ...Object.values(ALARM_EVENTS.input)].join(', ')}` }),
  ts: Timestamp,
  detail: Type.Optional(Type.Unknown({ description: "the event's detail" })),
});
export type AlarmEvent = Static<typeof AlarmEvent>;
