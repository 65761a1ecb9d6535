import { createRequire } from 'node:module';
import type { EventBus } from '../core/bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  close(): void;
}

/** Sends sd_notify(3) datagrams. Node has no AF_UNIX datagram sockets of its own: unix-dgram. */
export class NotifySocket {
  private socket?: UnixDgramSocket;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  send(state: string): void {
    if (!this.socket) {
      const unix = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram'): UnixDgramSocket };
      this.socket = unix.createSocket('unix_dgram');
      this.socket.on('error', (err) => this.log.warn({ err: err.message }, 'systemd notify failed'));
    }
    // A leading @ names an abstract socket; the kernel wants a NUL byte there.
    const target = this.path.startsWith('@') ? `\0${this.path.slice(1)}` : this.path;
    const message = Buffer.from(state);
    this.socket.send(message, 0, message.length, target);
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}

/**
 * systemd Type=notify: READY=1 once the box is online on its broker for the first time (a box
 * that cannot reach its broker is still "started": it keeps working and buffering, so READY also
 * goes out after `readyTimeoutMs` without a broker), WATCHDOG=1 at half of WATCHDOG_USEC, and
 * STOPPING=1 on the way down. Does nothing when NOTIFY_SOCKET is unset.
 */
export class SystemdNotify implements Extension {
  readonly name = 'systemd-notify';
  private readonly socket?: NotifySocket;
  private watchdog?: TimerHandle;
  private readyTimer?: TimerHandle;
  private ready = false;
  private unsubscribe?: () => void;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly status: () => string,
    private readonly readyTimeoutMs = 30_000,
  ) {
    if (env.NOTIFY_SOCKET) this.socket = new NotifySocket(env.NOTIFY_SOCKET, log);
  }

  start(): void {
    if (!this.socket) return;
    const usec = Number(this.env.WATCHDOG_USEC);
    const forUs = this.env.WATCHDOG_PID === undefined || Number(this.env.WATCHDOG_PID) === process.pid;
    if (usec > 0 && forUs) {
      const every = Math.max(500, Math.floor(usec / 2000));
      this.watchdog = this.clock.setInterval(() => this.socket!.send('WATCHDOG=1'), every);
      this.log.info({ everyMs: every }, 'systemd watchdog pings on');
    }
    this.unsubscribe = this.bus.on('mqtt.connected', () => this.markReady());
    this.readyTimer = this.clock.setTimeout(() => this.markReady(), this.readyTimeoutMs);
  }

  private markReady(): void {
    if (this.ready || !this.socket) return;
    this.ready = true;
    if (this.readyTimer) this.clock.clear(this.readyTimer);
    this.socket.send(`READY=1\nSTATUS=${this.status()}`);
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.watchdog) this.clock.clear(this.watchdog);
    if (this.readyTimer) this.clock.clear(this.readyTimer);
    if (this.socket) {
      this.socket.send('STOPPING=1');
      this.socket.close();
    }
  }
}
