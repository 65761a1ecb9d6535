import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient, type IClientPublishOptions } from 'mqtt';
import type { Logger } from '../core/logger.js';
import type { EventBus } from '../core/bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/controller.js';
import type { PublishPort } from '../core/publish-port.js';
import { backoffDelay } from '../core/backoff.js';
import type { Topics } from './topics.js';

const QOS0: IClientPublishOptions = { qos: 0, retain: false };

export interface LinkOptions {
  url: string;
  version: 4 | 5;
  clientId: string;
  username?: string;
  password?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** What the box needs to know of an inbound message besides topic and payload. */
export interface InboundMeta {
  /** Delivered as a retained message (on subscribe; with MQTT 5 also live, retain-as-published). */
  retain: boolean;
  /** MQTT 5 request/response: where the answer goes, and what to echo with it. */
  responseTopic?: string;
  correlationData?: Buffer;
}

export type MessageHandler = (topic: string, payload: Buffer, meta: InboundMeta) => void;


/**
 * The one connection to the broker: last will, reconnect with backoff and jitter (our own timer,
 * not mqtt.js's fixed period), TCP_NODELAY on every connect, resubscribe, and a `connected` bus
 * event so retained state is republished.
 */
export class MqttLink implements PublishPort {
  private client?: MqttClient;
  private readonly subscriptions = new Set<string>();
  private handlers: MessageHandler[] = [];
  private attempt = 0;
  private retryTimer?: TimerHandle;
  private stopping = false;
  reconnects = 0;
  connectedSince?: number;
  lastError?: string;
  /** Delays chosen for the last reconnects, newest last (diagnostics and tests). */
  readonly recentDelays: number[] = [];

  constructor(
    private readonly opts: LinkOptions,
    private readonly topics: Topics,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Every topic filter the box subscribes to (for diagnostics and tests). */
  subscribedTopics(): string[] {
    return [...this.subscriptions];
  }

  onMessage(handler: MessageHandler): void {
    this.handlers.push(handler);
  }

  get protocolVersion(): 4 | 5 {
    return this.opts.version;
  }

  /** Subscribes now if connected, and again on every reconnect. */
  subscribe(topic: string): void {
    this.subscriptions.add(topic);
    if (this.connected) this.client!.subscribe(topic, this.subscribeOptions());
  }

  /** MQTT 5: not our own messages back, and a retained publish keeps its retain flag live too. */
  private subscribeOptions() {
    return this.opts.version === 5 ? { qos: 1 as const, nl: true, rap: true } : { qos: 1 as const };
  }

  start(): void {
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: o.version,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      username: o.username,
      password: o.password,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ca: o.caFile ? readFileSync(o.caFile) : undefined,
      cert: o.certFile ? readFileSync(o.certFile) : undefined,
      key: o.keyFile ? readFileSync(o.keyFile) : undefined,
      rejectUnauthorized: true,
      queueQoSZero: false,
      // The outbox (not mqtt.js's memory) owns what must survive an outage.
      resubscribe: false,
      // mqtt-packet's default caches a 2-byte Buffer for each of the 65,536 packet ids and
      // lengths on the first publish: 6.5 MB of heap (docs/performance.md, Memory) to save a
      // 2-byte allocation on a dozen messages a second.
      writeCache: false,
    };
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('connect', () => {
      const stream = (client as unknown as { stream?: Socket & { socket?: Socket } }).stream;
      (stream?.setNoDelay ? stream : stream?.socket)?.setNoDelay?.(true);
      this.attempt = 0;
      this.connectedSince = this.clock.now();
      this.lastError = undefined;
      this.log.info({ url: redactUrl(o.url) }, 'mqtt connected');
      for (const t of this.subscriptions) client.subscribe(t, this.subscribeOptions());
      this.bus.emit('mqtt.connected', { reconnects: this.reconnects });
    });
    client.on('message', (topic, payload, packet) => {
      const props = packet.properties;
      const meta: InboundMeta = { retain: packet.retain === true };
      if (props?.responseTopic) meta.responseTopic = props.responseTopic;
      if (props?.correlationData) meta.correlationData = Buffer.from(props.correlationData);
      for (const h of this.handlers) {
        try {
          h(topic, payload, meta);
        } catch (err) {
          this.log.error({ topic, err: errorMessage(err) }, 'message handler failed');
        }
      }
    });
    client.on('error', (err) => {
      this.lastError = errorMessage(err);
      this.log.warn({ err: this.lastError }, 'mqtt error');
    });
    client.on('close', () => {
      if (this.connectedSince !== undefined) {
        this.connectedSince = undefined;
        this.bus.emit('mqtt.disconnected', { reason: this.lastError ?? 'connection closed' });
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.random);
    this.recentDelays.push(delay);
    if (this.recentDelays.length > 20) this.recentDelays.shift();
    this.log.info({ delayMs: delay, attempt: this.attempt }, 'mqtt reconnect scheduled');
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopping || !this.client) return;
      this.reconnects++;
      this.client.reconnect();
    }, delay);
  }

  /** Publishes; resolves when the broker acknowledged (QoS 1) or the packet was written (QoS 0). */
  publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, opts, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * QoS 0, not retained, fire and forget: dropped while disconnected. For the level reports (10 a
   * second per input): no promise to make and settle for each, as `publish` would.
   */
  publishQos0(topic: string, payload: string): void {
    const client = this.client;
    if (client?.connected) client.publish(topic, payload, QOS0);
  }

  /** Publishes offline (retained), then disconnects cleanly. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) this.clock.clear(this.retryTimer);
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      await Promise.race([
        this.publish(this.topics.status, 'offline', { qos: 1, retain: true }).catch(() => {}),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    }
    // A graceful end waits for every QoS 1 publish mqtt.js still tracks, including one whose
    // PUBACK was lost with an earlier connection (clean session: it never comes): bounded, then forced.
    const ended = new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    const late = await Promise.race([ended.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 2000))]);
    if (late) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }
}

export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
