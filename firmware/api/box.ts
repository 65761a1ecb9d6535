import { OneOf, Timestamp, Type, type Static } from './schema.js';

export const Status = OneOf(['online', 'offline'] as const, 'offline is the last will, and is published on a clean stop');
export type Status = Static<typeof Status>;

export const Info = Type.Object({
  id: Type.String({ description: 'box id' }),
  version: Type.String({ description: 'firmware version' }),
  board: Type.String({ description: 'board profile name' }),
  zones: Type.Array(Type.String(), { description: 'zone names' }),
  inputs: Type.Array(Type.String(), { description: 'input names' }),
  started_at: Timestamp,
});
export type Info = Static<typeof Info>;

export const RESTART_REASONS = ['clean stop', 'crash', 'watchdog', 'power loss or unknown', 'first start'] as const;
export const RestartReason = OneOf(RESTART_REASONS, 'why the previous run ended');
export type RestartReason = Static<typeof RestartReason>;

export const Diagnostics = Type.Object({
  restart_reason: RestartReason,
  boot_count: Type.Integer({ minimum: 1, description: 'starts of the firmware with this data directory' }),
  last_error: Type.Union([Type.String(), Type.Null()], { description: 'the last error logged since start, or null' }),
  version: Type.String({ description: 'firmware version' }),
  selftest: OneOf(['PASS', 'FAIL', 'not run'] as const, 'result of the last selftest'),
  selftest_failed: Type.Array(Type.String(), { description: 'the items the last selftest failed' }),
  safe_mode: Type.Boolean({ description: 'the box runs in safe mode: amps muted and off, capture and recording stopped' }),
  unclean_starts: Type.Integer({ minimum: 0, description: 'starts in a row after a run that did not end cleanly (reset by a clean stop or a clean run of ROOMBOX_SAFE_MODE_CLEAN_S)' }),
});
export type Diagnostics = Static<typeof Diagnostics>;

export const Telemetry = Type.Object({
  seq: Type.Integer({ description: 'one gapless counter per box across events and telemetry' }),
  ts: Timestamp,
  uptime_s: Type.Integer({ description: 'seconds since the firmware started' }),
  load1: Type.Number({ description: 'one-minute load average' }),
  rss_mb: Type.Number({ description: 'resident memory, MB' }),
  disk_free_mb: Type.Union([Type.Integer(), Type.Null()], { description: "free space of the data directory's file system, MB" }),
  outbox_depth: Type.Integer({ description: 'messages not yet acknowledged by the broker' }),
  reconnects: Type.Integer({ description: 'broker reconnects since start' }),
  cpu_temp_c: Type.Optional(Type.Number({ description: 'CPU temperature, where the board reports it' })),
  storage_error: Type.Optional(Type.String({ description: 'set while the database cannot be written' })),
});
export type Telemetry = Static<typeof Telemetry>;

export const Request = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'echoed in the response; required unless an MQTT 5 Response Topic is given' })),
    line: Type.String({ maxLength: 1024, description: 'a console command line' }),
  },
  { additionalProperties: false },
);
export type Request = Static<typeof Request>;

export const Response = Type.Object({
  id: Type.Optional(Type.String({ description: "the request's id" })),
  ok: Type.Boolean({ description: 'the command succeeded' }),
  output: Type.String({ description: 'what the console would print' }),
  data: Type.Optional(Type.Unknown({ description: 'what --json would print, for read commands' })),
});
export type Response = Static<typeof Response>;

export const ErrorReport = Type.Object({
  ts: Timestamp,
  topic: Type.String({ description: 'the topic of the rejected command' }),
  error: Type.String({ description: 'why it was rejected' }),
  payload: Type.String({ description: 'the payload, cut at 256 bytes' }),
});
export type ErrorReport = Static<typeof ErrorReport>;
