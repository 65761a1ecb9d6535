import type { Extension } from '../core/extension.js';

/**
 * Where events and telemetry go on their way to the broker. The outbox gives each message
 * its `seq` (one counter per box, strictly increasing), keeps it until the broker acknowledged
 * it, and delivers in `seq` order. The box uses the SQLite outbox (sqlite-outbox.ts).
 */
export interface Outbox extends Extension {
  /** Assigns seq, stores the message, and schedules delivery. Returns the seq. */
  add(topic: string, body: Record<string, unknown>): number;
  /** Messages not yet acknowledged by the broker. */
  depth(): number;
  /** Counters for `outbox`, telemetry and diagnostics. */
  stats(): OutboxStats;
}

export interface OutboxStats {
  depth: number;
  delivered: number;
  dropped: number;
  lastSeq: number;
  inFlight: number;
  /** Messages added but not yet written to the database. */
  pending?: number;
  /** Set while the database cannot be written (disk full, I/O error). */
  writeError?: string;
}

/** The payload as published: seq first, then the body. */
export function serialise(seq: number, body: Record<string, unknown>): string {
  return JSON.stringify({ seq, ...body });
}
