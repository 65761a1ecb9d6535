import type { MqttClient } from 'mqtt';
import { parsePayload, payloadText, type Feed, type FeedHello, type WireMessage } from './feed.js';

/** What the dashboard reads under `<prefix>/<id>/`: the same topics a box page gets. */
const BOX_TOPICS = ['status', 'info', 'telemetry', 'event', 'error', 'response', 'zone/+/state', 'input/+/state', 'input/+/levels'];
/** Kept for a page that opens later: the retained topics, the latest telemetry and levels. */
const KEPT = /\/(status|info|telemetry|zone\/[^/]+\/state|input\/[^/]+\/state|input\/[^/]+\/levels|\$dashboard)$/;
const RECENT_EVENTS = 200;
/** Level reports of a whole fleet reach the pages at most this often, per input. */
export const LEVELS_COALESCE_MS = 100;

interface LevelsReport {
  ts: string;
  peak_dbfs: number[];
  rms_dbfs: number[];
  clipped: number[];
}

/**
 * Every box on one broker, as the box page's messages. The dashboard's only knowledge of the
 * boxes' topics and payloads besides the page itself. Level reports are coalesced per input
 * (latest value, clip counts added) so a fleet cannot flood a browser.
 */
export class DashboardFeed implements Feed {
  private readonly kept = new Map<string, WireMessage>();
  private readonly recent: WireMessage[] = [];
  private readonly listeners = new Set<(m: WireMessage) => void>();
  private readonly pendingLevels = new Map<string, LevelsReport>();
  private levelsTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: MqttClient,
    private readonly prefix: string,
    private readonly haPrefix: string,
  ) {}

  async start(): Promise<void> {
    this.client.on('message', (topic, payload) => this.received(topic, payload));
    const topics = [...BOX_TOPICS.map((t) => `${this.prefix}/+/${t}`), `${this.haPrefix}/device/+/config`];
    await this.client.subscribeAsync(Object.fromEntries(topics.map((t) => [t, { qos: t.endsWith('/levels') ? 0 : 1 }])) as Record<string, { qos: 0 | 1 }>);
  }

  stop(): void {
    if (this.levelsTimer) clearTimeout(this.levelsTimer);
  }

  hello(): FeedHello {
    return { kind: 'dashboard', prefix: this.prefix };
  }

  snapshot(): WireMessage[] {
    return [...this.kept.values(), ...this.recent];
  }

  subscribe(listener: (m: WireMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(m: WireMessage, reply: (m: WireMessage) => void): Promise<void> {
    const rest = m.topic.startsWith(`${this.prefix}/`) ? m.topic.slice(this.prefix.length + 1).split('/') : [];
    const command = rest.length >= 3 ? rest.at(-1) === 'set' : rest.length === 2 && rest[1] === 'request';
    if (!command || rest.some((l) => l === '' || l === '+' || l === '#')) throw new Error(`not a command topic of a box: ${m.topic.slice(0, 128)}`);
    await this.client.publishAsync(m.topic, payloadText(m.payload), { qos: 1 });
    void reply;
  }

  private received(topic: string, raw: Buffer): void {
    if (topic.startsWith(`${this.haPrefix}/device/`)) return this.discovery(topic, raw);
    if (raw.length === 0) {
      // A retained topic cleared: a box whose status is cleared has left the fleet.
      this.kept.delete(topic);
      if (topic.endsWith('/status')) {
        const base = topic.slice(0, -'status'.length);
        for (const t of this.kept.keys()) if (t.startsWith(base)) this.kept.delete(t);
        this.emit({ topic, payload: null });
      }
      return;
    }
    const m: WireMessage = { topic, payload: parsePayload(raw.toString('utf8')) };
    if (topic.endsWith('/levels')) return this.levels(topic, m.payload as LevelsReport);
    if (KEPT.test(topic)) this.kept.set(topic, m);
    else if (topic.endsWith('/event')) {
      this.recent.push(m);
      if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    }
    this.emit(m);
  }

  /** A box's longest `expire_after`: how long it may be silent before its tile greys out. */
  private discovery(topic: string, raw: Buffer): void {
    const id = topic.split('/').at(-2)!.replace(/^roombox_/, '');
    let expire = 0;
    try {
      const cfg = JSON.parse(raw.toString('utf8')) as { cmps?: Record<string, { expire_after?: number }> };
      for (const c of Object.values(cfg.cmps ?? {})) expire = Math.max(expire, c.expire_after ?? 0);
    } catch {
      return;
    }
    const m = { topic: `${this.prefix}/${id}/$dashboard`, payload: { expire_after_s: expire } };
    this.kept.set(m.topic, m);
    this.emit(m);
  }

  private levels(topic: string, report: LevelsReport): void {
    if (!report || !Array.isArray(report.peak_dbfs)) return;
    const prev = this.pendingLevels.get(topic);
    if (prev) report = { ...report, clipped: report.clipped.map((n, c) => n + (prev.clipped[c] ?? 0)) };
    this.pendingLevels.set(topic, report);
    this.levelsTimer ??= setTimeout(() => this.flushLevels(), LEVELS_COALESCE_MS);
  }

  private flushLevels(): void {
    this.levelsTimer = undefined;
    for (const [topic, payload] of this.pendingLevels) {
      const m = { topic, payload };
      this.kept.set(topic, { topic, payload: { ...payload, clipped: payload.clipped.map(() => 0) } });
      this.emit(m);
    }
    this.pendingLevels.clear();
  }

  private emit(m: WireMessage): void {
    for (const l of this.listeners) l(m);
  }
}
