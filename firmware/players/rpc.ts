import type { Clock, TimerHandle } from '../core/clock.js';
import { PlayerError } from './player.js';

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

export interface RpcReply {
  id?: number | string | null;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

/** JSON-RPC 2.0 requests awaiting replies on one connection (ids, timeouts, failing them all on loss). */
export class RpcCalls {
  private nextId = 1;
  private pending = new Map<number, Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Sends with `write` and resolves with the reply's result. */
  call<T = unknown>(method: string, params: Record<string, unknown> | undefined, write: (line: string) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new PlayerError(`${method}: no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer });
      try {
        write(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }));
      } catch (err) {
        this.settle({ id, error: { message: (err as Error).message } });
      }
    });
  }

  /** Settles the call a reply answers; false when the message is not a reply to one of ours. */
  settle(msg: RpcReply): boolean {
    if (typeof msg.id !== 'number') return false;
    const p = this.pending.get(msg.id);
    if (!p) return false;
    this.pending.delete(msg.id);
    this.clock.clear(p.timer);
    if (msg.error) p.reject(new PlayerError(`${p.method}: ${msg.error.message ?? 'error'}${msg.error.data ? ` (${JSON.stringify(msg.error.data)})` : ''}`));
    else p.resolve(msg.result);
    return true;
  }

  failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      this.clock.clear(p.timer);
      p.reject(new PlayerError(`${p.method}: ${reason}`));
      this.pending.delete(id);
    }
  }
}
