import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';
import { Changes } from './wait.js';

/**
 * A TCP proxy on loopback that a test can cut: `down()` closes every connection and refuses new
 * ones (the broker is unreachable for the box), `up()` lets them through again. Subscribers that
 * connect to the broker directly stay connected and see everything the box delivers.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private open = true;
  port = 0;
  /** Connections the proxy was asked for, refused ones included. */
  connections = 0;
  private readonly arrivals = new Changes();

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    this.server = createServer({ noDelay: true }, (client) => {
      this.connections++;
      this.arrivals.changed();
      if (!this.open) return client.destroy();
      const upstream = connect({ port: this.targetPort, host: '127.0.0.1', noDelay: true });
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    return this;
  }

  /** Resolves once `count` connections in all have been asked for (refused ones included). */
  attempted(count: number, timeoutMs = 30_000): Promise<void> {
    return this.arrivals.until(() => this.connections >= count, timeoutMs, `connection attempt ${count}`);
  }

  down(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  up(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
