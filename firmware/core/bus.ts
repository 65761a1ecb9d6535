import { EventEmitter } from 'node:events';
import type { BoxEventInput } from '../api/events.js';
import type { Levels } from '../api/input.js';

export type { BoxEventInput };

/** Facts announced on the bus, each with its payload type. */
export interface BusEvents {
  /** A box event for P/event (one of the API's event types): the publisher gives it seq and ts (if absent). */
  'box.event': BoxEventInput;
  /** The MQTT link came up; retained state and discovery are republished. */
  'mqtt.connected': { reconnects: number };
  'mqtt.disconnected': { reason: string };
  /** Every level report, whether or not the broker is there (the web page meters from it). */
  'input.levels': { input: string; report: Levels };
}

type Listener<T> = (payload: T) => void;

/** A small typed event bus. A throwing listener is reported, never propagated to the emitter. */
export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor(private readonly onListenerError: (event: string, err: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof BusEvents>(event: K, listener: Listener<BusEvents[K]>): () => void {
    const wrapped = (payload: BusEvents[K]) => {
      try {
        listener(payload);
      } catch (err) {
        this.onListenerError(String(event), err);
      }
    };
    this.emitter.on(event as string, wrapped);
    return () => this.emitter.off(event as string, wrapped);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.emitter.emit(event as string, payload);
  }
}
