import { payloadJson, zoneState, type BoxEvent, type ZoneStateMessage } from './box-api.js';
import type { MqttProbe } from './mqtt-probe.js';

export type { BoxEvent, ZoneStateMessage };

/**
 * One zone's state and the box's events as a probe receives them, on the probe's cursor: a wait
 * from `probe.mark()` insists on a message that came after an action (an older state that
 * happens to match proves nothing).
 */
export class ZoneWatch {
  readonly stateTopic: string;
  readonly eventTopic: string;
  private readonly base: string;

  constructor(
    private readonly probe: MqttProbe,
    boxId: string,
    private readonly zone: string,
  ) {
    this.base = `roombox/${boxId}`;
    this.stateTopic = `${this.base}/zone/${zone}/state`;
    this.eventTopic = `${this.base}/event`;
  }

  /** Topics to subscribe the probe to. */
  static topics(boxId: string, zone: string): string[] {
    return [`roombox/${boxId}/zone/${zone}/state`, `roombox/${boxId}/event`, `roombox/${boxId}/response`];
  }

  mark(): number {
    return this.probe.mark();
  }

  /** The first state received at or after `since` that matches. */
  async state(pred: (s: ZoneStateMessage) => boolean, what: string, since = 0, timeoutMs = 30_000): Promise<ZoneStateMessage> {
    return payloadJson<ZoneStateMessage>(await this.probe.waitSince(since, zoneState(this.base, this.zone, pred), timeoutMs, what))!;
  }

  /** The first event received at or after `since` that matches. */
  async event(pred: (e: BoxEvent) => boolean, what: string, since = 0, timeoutMs = 30_000): Promise<BoxEvent> {
    const m = await this.probe.waitSince(since, (x) => x.topic === this.eventTopic && pred(payloadJson<BoxEvent>(x)!), timeoutMs, what);
    return payloadJson<BoxEvent>(m)!;
  }

  statesSince(since: number): ZoneStateMessage[] {
    return this.probe.since(since, this.stateTopic).map((m) => payloadJson<ZoneStateMessage>(m)!);
  }

  eventsSince(since: number): BoxEvent[] {
    return this.probe.since(since, this.eventTopic).map((m) => payloadJson<BoxEvent>(m)!);
  }

  /** Proves every state and event the box published before answering a marker request has arrived. */
  settled(): Promise<void> {
    return this.probe.marker(this.base);
  }
}
