import type { BoxContext } from '../context.js';
import type { BoxEventInput } from '../core/bus.js';
import { MAX_LINE_BYTES } from '../core/commands.js';
import { parsePayload, payloadText, type Feed, type FeedHello, type WireMessage } from './feed.js';

const RECENT_EVENTS = 50;
const TELEMETRY_MS = 2000;

/**
 * The box's own page, as MQTT-shaped messages. The one file that knows today's command registry,
 * topics and payload shapes on the box side: retained state, level reports, events, the
 * P/request console and the command routes. Whatever the box would publish, the page sees,
 * whether or not a broker is there.
 */
export class BoxFeed implements Feed {
  private readonly recent: WireMessage[] = [];
  private readonly startedMs: number;
  private stopEvents?: () => void;

  constructor(private readonly ctx: BoxContext) {
    this.startedMs = ctx.clock.now();
  }

  /** Starts keeping the recent events a page shows when it opens. */
  start(): void {
    this.stopEvents = this.ctx.bus.on('box.event', (e) => {
      this.recent.push(this.eventMessage(e));
      if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    });
  }

  stop(): void {
    this.stopEvents?.();
  }

  hello(): FeedHello {
    return { kind: 'box', prefix: this.ctx.config.topicPrefix, id: this.ctx.config.id };
  }

  snapshot(): WireMessage[] {
    const { ctx } = this;
    const retained = [...ctx.retained.entries()].map(([topic, payload]) => ({ topic, payload: parsePayload(payload) }));
    return [this.status(), this.telemetry(), ...retained, ...this.recent];
  }

  subscribe(listener: (m: WireMessage) => void): () => void {
    const { ctx } = this;
    const offs = [
      ctx.retained.onChange((topic, payload) => listener({ topic, payload: parsePayload(payload) })),
      ctx.bus.on('input.levels', ({ input, report }) => listener({ topic: ctx.topics.inputLevels(input), payload: report })),
      ctx.bus.on('box.event', (e) => {
        listener(this.eventMessage(e));
        if (e.type === 'command_rejected') listener({ topic: ctx.topics.error, payload: { ts: e.ts, ...(e.detail as object) } });
      }),
      ctx.bus.on('mqtt.connected', () => listener(this.status())),
      ctx.bus.on('mqtt.disconnected', () => listener(this.status())),
    ];
    const timer = ctx.clock.setInterval(() => listener(this.telemetry()), TELEMETRY_MS);
    return () => {
      for (const off of offs) off();
      ctx.clock.clear(timer);
    };
  }

  async send(m: WireMessage, reply: (m: WireMessage) => void): Promise<void> {
    const { ctx } = this;
    if (m.topic === ctx.topics.request) return this.request(m.payload, reply);
    if (!m.topic.startsWith(`${ctx.topics.base}/`) || !m.topic.endsWith('/set')) throw new Error(`not a command topic of this box: ${m.topic.slice(0, 128)}`);
    await ctx.router.dispatch(m.topic, Buffer.from(payloadText(m.payload)));
  }

  /** The console: the same registry as the UART, answered as P/response. */
  private async request(payload: unknown, reply: (m: WireMessage) => void): Promise<void> {
    const { id, line } = (payload ?? {}) as { id?: unknown; line?: unknown };
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw new Error('request id must be a string of 1-64 characters');
    if (typeof line !== 'string' || Buffer.byteLength(line) > MAX_LINE_BYTES) throw new Error(`line must be a string of at most ${MAX_LINE_BYTES} bytes`);
    const result = await this.ctx.commands.execute(line, 'console');
    reply({ topic: this.ctx.topics.response, payload: { id, ok: result.ok, output: result.output, ...(result.data !== undefined ? { data: result.data } : {}) } });
  }

  /** The box's link to the broker, as the broker's subscribers see it. */
  private status(): WireMessage {
    return { topic: this.ctx.topics.status, payload: this.ctx.link.connected ? 'online' : 'offline' };
  }

  private telemetry(): WireMessage {
    const { ctx } = this;
    const now = ctx.clock.now();
    return {
      topic: ctx.topics.telemetry,
      payload: {
        ts: new Date(now).toISOString(),
        uptime_s: Math.round((now - this.startedMs) / 1000),
        rss_mb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
        outbox_depth: ctx.outbox.depth(),
        reconnects: ctx.link.reconnects,
      },
    };
  }

  private eventMessage(e: BoxEventInput): WireMessage {
    const { ts, ...fields } = e;
    return { topic: this.ctx.topics.event, payload: { ts: ts ?? new Date(this.ctx.clock.now()).toISOString(), ...fields } };
  }
}
