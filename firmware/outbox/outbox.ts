import type { Extension } from '../core/extension.js';

/**
 * Where events and telemetry go on their way to the broker. The outbox gives each message
 * its `seq` (one counter per box, strictly increasing, gapless), keeps it until the broker
 * acknowledged it, and delivers in `seq` order.
 */
export interface Outbox extends Extension {
  /**
   * Queues the message for storing and delivery. Its seq is given in the transaction that stores
   * it; `onStored` hears the number once that commit is durable (it is never called for a message
   * dropped before it was stored).
   */
  add(topic: string, body: Record<string, unknown>, onStored?: (seq: number) => void): void;
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
  /** Set while the database cannot be written (disk full, I/O error) or persistence is off. */
  writeError?: string;
  /** False when the box runs without its database (a file from a newer firmware): memory only. */
  persistent?: boolean;
}

/** The payload as published: seq first, then the body. */
export function serialise(seq: number, body: Record<string, unknown>): string {
  return JSON.stringify({ seq, ...body });
}
