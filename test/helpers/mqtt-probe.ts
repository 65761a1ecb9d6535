import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { atFileEnd } from './file-guard.js';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A message test; `index` is the message's place in `messages` (see `mark()`). */
export type Match = (m: Received, index: number) => boolean;

let requestIds = 0;
let markerIds = 0;

/** A test-side MQTT client that records what it receives and waits for what it expects. */
export class MqttProbe {
  readonly messages: Received[] = [];
  private waiters: { pred: Match; resolve: (m: Received) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const m = { topic, payload: payload.toString('utf8'), retain: packet.retain };
      const index = this.messages.push(m) - 1;
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m, index)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async connect(url: string, topics: string[] = [], opts: IClientOptions = {}): Promise<MqttProbe> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...opts });
    const probe = new MqttProbe(client);
    probe.forget = atFileEnd(() => probe.close());
    if (topics.length) await client.subscribeAsync(topics, { qos: 1 });
    return probe;
  }

  /** Resolves with the first message (already received or future) matching. */
  waitFor(pred: Match, timeoutMs = 10_000, what = 'message'): Promise<Received> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return this.next(pred, timeoutMs, what);
  }

  /** Resolves with the next future message matching. */
  next(pred: Match, timeoutMs = 10_000, what = 'message'): Promise<Received> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last received: ${this.messages.slice(-5).map((m) => `${m.topic} ${m.payload.slice(0, 200)}`).join(' | ')}`));
      }, timeoutMs);
      const done = (m: Received) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** A cursor: where "since now" starts for `since()` and for a `Match`'s `index`. */
  mark(): number {
    return this.messages.length;
  }

  /** The messages received from `mark` on, on one topic if given. */
  since(mark: number, topic?: string): Received[] {
    const after = this.messages.slice(mark);
    return topic === undefined ? after : after.filter((m) => m.topic === topic);
  }

  /** The first message from `mark` on (already received or future) that matches. */
  waitSince(mark: number, pred: (m: Received) => boolean, timeoutMs = 10_000, what = 'message'): Promise<Received> {
    return this.waitFor((m, i) => i >= mark && pred(m), timeoutMs, what);
  }

  /** Resolves once `count` messages from `mark` on match (and with those messages). */
  waitCount(mark: number, pred: (m: Received) => boolean, count: number, timeoutMs = 10_000, what = `${count} messages`): Promise<Received[]> {
    let seen = this.since(mark).filter(pred).length;
    if (seen >= count) return Promise.resolve(this.since(mark).filter(pred));
    return this.next((m, i) => i >= mark && pred(m) && ++seen >= count, timeoutMs, what).then(() => this.since(mark).filter(pred));
  }

  /** The id of the last `marker()` request. */
  lastMarkerId = '';

  /**
   * Proves that everything the box published before answering a request has arrived: a
   * `{"id":"marker-N","line":"version"}` request, resolved when its `P/response` comes (the broker
   * keeps each connection's order, so whatever the box sent before the answer was received before it).
   * The probe must be subscribed to `<base>/response`.
   */
  async marker(base: string, timeoutMs = 20_000): Promise<void> {
    const id = `marker-${++markerIds}`;
    this.lastMarkerId = id;
    const answer = this.next((m) => m.topic === `${base}/response` && JSON.parse(m.payload).id === id, timeoutMs, `the answer to ${id}`);
    await this.publish(`${base}/request`, JSON.stringify({ id, line: 'version' }));
    await answer;
  }

  topic(t: string): Received[] {
    return this.messages.filter((m) => m.topic === t);
  }

  json<T = Record<string, unknown>>(t: string): T[] {
    return this.topic(t).map((m) => JSON.parse(m.payload) as T);
  }

  async publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** Runs a console line on `<base>/request`; resolves with the box's `<base>/response`. */
  async request<T = unknown>(base: string, line: string, timeoutMs = 20_000): Promise<{ ok: boolean; output: string; data: T }> {
    const id = `probe-${++requestIds}`;
    const answer = this.next((m) => m.topic === `${base}/response` && JSON.parse(m.payload).id === id, timeoutMs, `response to ${line}`);
    await this.publish(`${base}/request`, JSON.stringify({ id, line }));
    return JSON.parse((await answer).payload) as { ok: boolean; output: string; data: T };
  }

  private forget = () => {};

  async close(): Promise<void> {
    this.forget();
    if (!this.client.disconnecting) await this.client.endAsync(true);
  }
}
