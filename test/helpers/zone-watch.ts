import type { MqttProbe } from './mqtt-probe.js';

/** A zone's retained state as the box publishes it (CONTRACT section 3, plus `player`). */
export interface ZoneStateMessage {
  power: 'on' | 'standby' | 'off';
  mode: 'auto' | 'manual';
  playing: boolean;
  volume: number;
  volume_db: number | null;
  mute: boolean;
  max_volume: number;
  player?: { url: string; connected: boolean; state: string };
}

export interface BoxEvent {
  seq: number;
  type: string;
  zone?: string;
  detail?: Record<string, unknown>;
}

/**
 * One zone's state and the box's events as a probe receives them. `mark()` remembers how much has
 * arrived, so a wait can insist on a message that came after an action (an older state that
 * happens to match proves nothing).
 */
export class ZoneWatch {
  readonly stateTopic: string;
  readonly eventTopic: string;

  constructor(
    private readonly probe: MqttProbe,
    boxId: string,
    zone: string,
  ) {
    this.stateTopic = `roombox/${boxId}/zone/${zone}/state`;
    this.eventTopic = `roombox/${boxId}/event`;
  }

  /** Topics to subscribe the probe to. */
  static topics(boxId: string, zone: string): string[] {
    return [`roombox/${boxId}/zone/${zone}/state`, `roombox/${boxId}/event`];
  }

  mark(): number {
    return this.probe.messages.length;
  }

  /** The first state received at or after `since` that matches. */
  async state(pred: (s: ZoneStateMessage) => boolean, what: string, since = 0, timeoutMs = 30_000): Promise<ZoneStateMessage> {
    const m = await this.probe.waitFor((m, i) => i >= since && m.topic === this.stateTopic && pred(JSON.parse(m.payload) as ZoneStateMessage), timeoutMs, what);
    return JSON.parse(m.payload) as ZoneStateMessage;
  }

  /** The first event received at or after `since` that matches. */
  async event(pred: (e: BoxEvent) => boolean, what: string, since = 0, timeoutMs = 30_000): Promise<BoxEvent> {
    const m = await this.probe.waitFor((m, i) => i >= since && m.topic === this.eventTopic && pred(JSON.parse(m.payload) as BoxEvent), timeoutMs, what);
    return JSON.parse(m.payload) as BoxEvent;
  }

  statesSince(since: number): ZoneStateMessage[] {
    return this.probe.messages.slice(since).filter((m) => m.topic === this.stateTopic).map((m) => JSON.parse(m.payload) as ZoneStateMessage);
  }

  eventsSince(since: number): BoxEvent[] {
    return this.probe.messages.slice(since).filter((m) => m.topic === this.eventTopic).map((m) => JSON.parse(m.payload) as BoxEvent);
  }
}
