import type { Payload, Topic, TopicKey } from '../api/topics.js';
import type { Logger } from '../core/logger.js';
import type { MqttLink } from './link.js';

/**
 * Retained state (zone and input state, info): the latest value per topic, published when it
 * changes and all of it again on every connect. Not queued: only the current value matters.
 */
export class RetainedState {
  private readonly values = new Map<string, string>();
  private readonly listeners = new Set<(topic: string, payload: string) => void>();

  constructor(
    private readonly link: MqttLink,
    private readonly log: Logger,
  ) {}

  set<K extends TopicKey>(topic: Topic<K>, value: Payload<K>): void {
    const payload = typeof value === 'string' ? value : JSON.stringify(value);
    if (this.values.get(topic) === payload) return;
    this.values.set(topic, payload);
    if (this.link.connected) this.send(topic, payload);
    for (const l of this.listeners) l(topic, payload);
  }

  /** Every current value (for a local reader such as the web page). */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }

  /** Called with each changed value; returns the unsubscribe. */
  onChange(listener: (topic: string, payload: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(topic: string): string | undefined {
    return this.values.get(topic);
  }

  /** The current value of a retained topic, decoded. */
  value<K extends TopicKey>(topic: Topic<K>): Payload<K> | undefined {
    const raw = this.values.get(topic);
    if (raw === undefined) return undefined;
    return (typeof raw === 'string' && raw.startsWith('{') ? JSON.parse(raw) : raw) as Payload<K>;
  }

  /** Publishes every value; resolves when the broker acknowledged them all. */
  async republishAll(): Promise<void> {
    await Promise.all([...this.values].map(([t, p]) => this.send(t, p)));
  }

  /** Removes a retained topic from the broker (empty retained payload). */
  clear(topic: string): void {
    this.values.delete(topic);
    if (this.link.connected) this.link.publish(topic, '', { qos: 1, retain: true }).catch(() => {});
  }

  private send(topic: string, payload: string): Promise<void> {
    return this.link.publish(topic, payload, { qos: 1, retain: true }).catch((err: Error) => {
      this.log.debug({ topic, err: err.message }, 'retained publish deferred to next connect');
    });
  }
}
