import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import type { MqttLink } from './link.js';
import type { Topics } from './topics.js';

/** Thrown by a command handler: the command changes nothing and yields one P/error. */
export class CommandRejected extends Error {}

export const MAX_INBOUND_BYTES = 64 * 1024;
const ERROR_PAYLOAD_BYTES = 256;

/** `params` are the values of the `+` levels of the route, in order. */
export type RouteHandler = (payload: Buffer, params: string[], topic: string) => void | Promise<void>;

interface Route {
  pattern: string;
  parts: string[];
  handler: RouteHandler;
}

/**
 * The one inbound door for commands on MQTT. Routes are patterns under P (`zone/+/set`);
 * every rejected payload (too large, malformed, wrong type, out of range, unknown target)
 * yields exactly one P/error and one `command_rejected` event, and changes nothing.
 */
export class CommandRouter implements Extension {
  readonly name = 'command-router';
  private readonly routes: Route[] = [];
  private readonly external = new Map<string, (topic: string, payload: Buffer) => void>();
  rejected = 0;

  constructor(
    private readonly link: MqttLink,
    private readonly topics: Topics,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  private started = false;

  /** Adds a command route under P. */
  route(pattern: string, handler: RouteHandler): void {
    this.routes.push({ pattern, parts: pattern.split('/'), handler });
    if (this.started) this.link.subscribe(this.topics.sub(pattern));
  }

  /** A topic outside P (e.g. Home Assistant's status), exact match, no P/error on trouble. */
  listen(topic: string, handler: (topic: string, payload: Buffer) => void): void {
    this.external.set(topic, handler);
    if (this.started) this.link.subscribe(topic);
  }

  start(): void {
    this.started = true;
    for (const r of this.routes) this.link.subscribe(this.topics.sub(r.pattern));
    for (const t of this.external.keys()) this.link.subscribe(t);
    this.link.onMessage((topic, payload) => void this.dispatch(topic, payload));
  }

  stop(): void {}

  async dispatch(topic: string, payload: Buffer): Promise<void> {
    const ext = this.external.get(topic);
    if (ext) return ext(topic, payload);
    const prefix = `${this.topics.base}/`;
    if (!topic.startsWith(prefix)) return;
    const levels = topic.slice(prefix.length).split('/');
    for (const r of this.routes) {
      const params = match(r.parts, levels);
      if (!params) continue;
      if (payload.length > MAX_INBOUND_BYTES) {
        return this.reject(topic, payload, `payload of ${payload.length} bytes exceeds the ${MAX_INBOUND_BYTES}-byte limit`);
      }
      try {
        await r.handler(payload, params, topic);
      } catch (err) {
        if (err instanceof CommandRejected) return this.reject(topic, payload, err.message);
        this.log.error({ topic, err: (err as Error).message }, 'command failed');
        return this.reject(topic, payload, `command failed: ${(err as Error).message}`);
      }
      return;
    }
  }

  /** Publishes the one P/error for a rejected command. */
  reject(topic: string, payload: Buffer, error: string): void {
    this.rejected++;
    const ts = new Date(this.clock.now()).toISOString();
    const cut = payload.subarray(0, ERROR_PAYLOAD_BYTES).toString('utf8');
    this.log.warn({ topic, error }, 'command rejected');
    this.link.publish(this.topics.error, JSON.stringify({ ts, topic, error, payload: cut }), { qos: 1 }).catch(() => {});
    this.bus.emit('box.event', { type: 'command_rejected', ts, detail: { topic, error } });
  }
}

function match(pattern: string[], levels: string[]): string[] | undefined {
  if (pattern.length !== levels.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '+') params.push(levels[i]!);
    else if (pattern[i] !== levels[i]) return undefined;
  }
  return params;
}

/** Parses a JSON object payload or rejects the command. */
export function parseJsonObject(payload: Buffer): Record<string, unknown> {
  const text = payload.toString('utf8').trim();
  if (text.length === 0) throw new CommandRejected('empty payload');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CommandRejected('payload is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CommandRejected('payload must be a JSON object');
  return value as Record<string, unknown>;
}
