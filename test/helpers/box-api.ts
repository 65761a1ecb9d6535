/**
 * What the box publishes, as tests read it. The shapes are the firmware's own types, imported
 * from the API module here and nowhere else in test/.
 */
import type { PlayerInfo, ZoneState } from '../../firmware/api/index.js';
import type { Received } from './mqtt-probe.js';

/** A zone's retained state message: the zone's state, and `player` when the zone has one. */
export type ZoneStateMessage = ZoneState & { player?: PlayerInfo };

/** A message on `<prefix>/<id>/event`, read loosely: any type, any detail. */
export interface BoxEvent {
  seq: number;
  ts: string;
  type: string;
  zone?: string;
  input?: string;
  detail?: Record<string, unknown>;
}

type Json = Record<string, any>;

/** The payload as JSON, or undefined when it is not JSON. */
export function payloadJson<T = Json>(m: Received): T | undefined {
  try {
    return JSON.parse(m.payload) as T;
  } catch {
    return undefined;
  }
}

/** A message on `topic` whose JSON payload satisfies `pred`. */
export const jsonOn =
  <T = Json>(topic: string, pred: (v: T) => boolean = () => true) =>
  (m: Received): boolean => {
    if (m.topic !== topic) return false;
    const v = payloadJson<T>(m);
    return v !== undefined && pred(v);
  };

/** Zone `zone`'s state message under `base` (`roombox/<id>`) satisfying `pred`. */
export const zoneState = (base: string, zone: string, pred: (s: ZoneStateMessage) => boolean = () => true) => jsonOn<ZoneStateMessage>(`${base}/zone/${zone}/state`, pred);

/** An event of `type` under `base` satisfying `pred`. */
export const boxEvent = (base: string, type: string, pred: (e: BoxEvent) => boolean = () => true) => jsonOn<BoxEvent>(`${base}/event`, (e) => e.type === type && pred(e));
