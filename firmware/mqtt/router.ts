import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { UserError } from '../core/errors.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import type { InboundMeta, MqttLink } from './link.js';
import type { Topics } from './topics.js';

export const MAX_INBOUND_BYTES = 64 * 1024;
const ERROR_PAYLOAD_BYTES = 256;

/** `params` are the values of the `+` levels of the route, in order. */
export type RouteHandler = (payload: Buffer, params: string[], msg: { topic: string } & InboundMeta) => void | Promise<void>;

interface Route {
  parts: string[];
  handler: RouteHandler;
}

/**
 * The one inbound door for commands on MQTT. Routes are patterns under P (`zone/+/set`).
 * - Commands run one at a time in arrival order, so a client's answers (P/response, P/error,
 *   the state a command changes) go out in the order it sent the commands.
 * - A command that arrives retained is not obeyed: it is cleared on the broker and reported.
 * - A rejected command (a UserError, too large) changes nothing and yields exactly one P/error
 *   and one `command_rejected` event.
 */
export class CommandRouter implements Extension {
  readonly name = 'command-router';
  private readonly routes: Route[] = [];
  private readonly external = new Map<string, (topic: string, payload: Buffer) => void>();
  /** Topics whose retained command we cleared; the empty message coming back is ours (MQTT 3.1.1). */
  private readonly clearing = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private started = false;
  rejected = 0;

  constructor(
    private readonly link: MqttLink,
    private readonly topics: Topics,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Adds a command route under P. */
  route(pattern: string, handler: RouteHandler): void {
    this.routes.push({ parts: pattern.split('/'), handler });
    if (this.started) this.link.subscribe(this.topics.sub(pattern));
  }

  /** A topic outside P (e.g. Home Assistant's status), exact match, no P/error on trouble. */
  listen(topic: string, handler: (topic: string, payload: Buffer) => void): void {
    this.external.set(topic, handler);
    if (this.started) this.link.subscribe(topic);
  }

  start(): void {
    this.started = true;
    for (const r of this.routes) this.link.subscribe(this.topics.sub(r.parts.join('/')));
    for (const t of this.external.keys()) this.link.subscribe(t);
    this.link.onMessage((topic, payload, meta) => void this.dispatch(topic, payload, meta));
  }

  stop(): void {}

  /** Queues one inbound message; resolves when it has been handled. */
  dispatch(topic: string, payload: Buffer, meta: InboundMeta = { retain: false }): Promise<void> {
    const ext = this.external.get(topic);
    if (ext) return Promise.resolve(ext(topic, payload));
    const run = this.queue.then(() => this.handle(topic, payload, meta));
    this.queue = run.catch(() => {});
    return run;
  }

  private async handle(topic: string, payload: Buffer, meta: InboundMeta): Promise<void> {
    const prefix = `${this.topics.base}/`;
    if (!topic.startsWith(prefix)) return;
    const levels = topic.slice(prefix.length).split('/');
    for (const r of this.routes) {
      const params = match(r.parts, levels);
      if (!params) continue;
      if (payload.length === 0 && (meta.retain || this.clearing.delete(topic))) return;
      if (meta.retain) return this.clearRetained(topic);
      if (payload.length > MAX_INBOUND_BYTES) {
        return this.reject(topic, payload, `payload of ${payload.length} bytes exceeds the ${MAX_INBOUND_BYTES}-byte limit`);
      }
      try {
        await r.handler(payload, params, { topic, ...meta });
      } catch (err) {
        if (err instanceof UserError) return this.reject(topic, payload, err.message);
        this.log.error({ topic, err: (err as Error).message }, 'command failed');
        return this.reject(topic, payload, `command failed: ${(err as Error).message}`);
      }
      return;
    }
  }

  /** A retained command (a retained slider, say) would be obeyed again on every reconnect: remove it. */
  private clearRetained(topic: string): void {
    this.log.warn({ topic }, 'retained command ignored and cleared');
    if (this.link.protocolVersion === 4) this.clearing.add(topic);
    this.link.publish(topic, '', { qos: 1, retain: true }).catch((err: Error) => this.log.warn({ topic, err: err.message }, 'could not clear a retained command'));
    this.bus.emit('box.event', { type: 'retained_command_cleared', detail: { topic } });
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
