import type { Platform } from '../controls/control.js';
import type { Component } from '../controls/ha-entities.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import type { MqttLink } from './link.js';
import type { RetainedState } from './retained.js';
import type { CommandRouter } from './router.js';
import type { Topics } from './topics.js';

export type { Component, Platform };

export interface DeviceInfo {
  id: string;
  board: string;
  version: string;
}

/** Every extension adds its entities here; HaDiscovery publishes them as one device message. */
export class DiscoveryRegistry {
  private readonly components = new Map<string, Component>();
  private readonly listeners: (() => void)[] = [];

  add(component: Component): void {
    this.components.set(component.key, component);
    this.changed();
  }

  remove(key: string): void {
    if (this.components.delete(key)) this.changed();
  }

  has(key: string): boolean {
    return this.components.has(key);
  }

  all(): Component[] {
    return [...this.components.values()];
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}

/**
 * Home Assistant device-based discovery: one retained message `<ha>/device/<id>/config`.
 * Entities that disappeared (from this run or an earlier one, read back from the retained
 * message) are removed by publishing their entry as `{p}` alone.
 */
export class HaDiscovery implements Extension {
  readonly name = 'ha-discovery';
  private readonly removed = new Map<string, string>();
  /** Entries of the retained message kept as they were while `keepVanished()` (safe mode). */
  private readonly kept = new Map<string, Record<string, unknown>>();
  private birthTimer?: TimerHandle;
  private lastPublished?: string;

  constructor(
    private readonly registry: DiscoveryRegistry,
    private readonly device: DeviceInfo,
    private readonly topics: Topics,
    private readonly link: MqttLink,
    private readonly router: CommandRouter,
    private readonly retained: RetainedState,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
    /** True while entities may be missing only for now (safe mode): they are kept, not removed. */
    private readonly keepVanished: () => boolean = () => false,
  ) {}

  start(): void {
    this.router.listen(this.topics.haStatus, (_t, payload) => {
      if (payload.toString('utf8').trim() === 'online') this.onHomeAssistantBirth();
    });
    this.router.listen(this.topics.haDevice(this.device.id), (_t, payload) => this.onRetainedConfig(payload));
    this.registry.onChange(() => {
      if (this.link.connected && this.lastPublished !== undefined) void this.publish();
    });
  }

  stop(): void {
    if (this.birthTimer) this.clock.clear(this.birthTimer);
  }

  /** Delay before answering Home Assistant's birth: 2-10 s, random per box. */
  birthDelayMs(): number {
    return 2000 + Math.round(this.random() * 8000);
  }

  private onHomeAssistantBirth(): void {
    if (this.birthTimer) return;
    const delay = this.birthDelayMs();
    this.log.info({ delayMs: delay }, 'Home Assistant came online: republishing discovery and state');
    this.birthTimer = this.clock.setTimeout(() => {
      this.birthTimer = undefined;
      void this.publish().then(() => this.retained.republishAll());
    }, delay);
  }

  private onRetainedConfig(payload: Buffer): void {
    let old: { cmps?: Record<string, { p?: string }> };
    try {
      old = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    let found = false;
    let keep = false;
    for (const [key, entry] of Object.entries(old.cmps ?? {})) {
      const stale = !this.registry.has(key) && !this.removed.has(key) && typeof entry?.p === 'string' && Object.keys(entry).length > 1;
      if (stale && this.keepVanished()) {
        if (!this.kept.has(key)) keep = true;
        this.kept.set(key, entry as Record<string, unknown>);
      } else if (stale) {
        this.removed.set(key, entry.p!);
        found = true;
      }
    }
    if (found) this.log.info({ removed: [...this.removed.keys()] }, 'removing vanished Home Assistant entities');
    if (keep) this.log.info({ kept: [...this.kept.keys()] }, 'keeping the Home Assistant entities of the parts safe mode stopped');
    if (found || keep) void this.publish();
  }

  message(): Record<string, unknown> {
    const { id, board, version } = this.device;
    const cmps: Record<string, Record<string, unknown>> = {};
    for (const [key, p] of this.removed) if (!this.registry.has(key)) cmps[key] = { p };
    for (const [key, entry] of this.kept) if (!this.registry.has(key)) cmps[key] = entry;
    for (const c of this.registry.all()) cmps[c.key] = { p: c.platform, unique_id: `roombox_${id}_${c.key}`, ...c.config };
    return {
      dev: { identifiers: [`roombox_${id}`], name: `roombox ${id}`, manufacturer: 'roombox', model: board, sw_version: version },
      o: { name: 'roombox', sw: version },
      availability_topic: this.topics.status,
      payload_available: 'online',
      payload_not_available: 'offline',
      qos: 1,
      cmps,
    };
  }

  async publish(): Promise<void> {
    const payload = JSON.stringify(this.message());
    this.lastPublished = payload;
    await this.link.publish(this.topics.haDevice(this.device.id), payload, { qos: 1, retain: true }).catch((err: Error) => {
      this.log.debug({ err: err.message }, 'discovery publish deferred to next connect');
    });
  }
}
