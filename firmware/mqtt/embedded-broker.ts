import { createServer, type Server } from 'node:net';
import type { Aedes } from 'aedes';
import type { Logger } from '../core/logger.js';
import type { Extension } from '../core/extension.js';
import { ConfigError } from '../config/config.js';

/**
 * The zero-config broker: aedes in-process on 127.0.0.1 (MQTT 3.1.1 only), started when
 * ROOMBOX_MQTT_URL is unset. A busy port is a configuration problem (exit 78), not a stack trace.
 */
export class EmbeddedBroker implements Extension {
  readonly name = 'embedded-broker';
  private broker?: Aedes;
  private server?: Server;

  constructor(
    private readonly port: number,
    private readonly log: Logger,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Loaded only when used: a box with an external broker does not pay its memory.
    const { Aedes: AedesBroker } = await import('aedes');
    const broker = await AedesBroker.createBroker({ drainTimeout: 10_000 });
    const server = createServer({ noDelay: true }, broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        broker.close();
        if (err.code === 'EADDRINUSE') {
          reject(new ConfigError([`ROOMBOX_EMBEDDED_BROKER_PORT=${this.port} is invalid: port already in use on 127.0.0.1 (choose another port, or set ROOMBOX_MQTT_URL to use the broker that holds it)`]));
        } else if (err.code === 'EACCES') {
          reject(new ConfigError([`ROOMBOX_EMBEDDED_BROKER_PORT=${this.port} is invalid: not allowed to listen on it (use a port above 1023)`]));
        } else reject(err);
      });
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.broker = broker;
    this.server = server;
    this.log.info(
      { url: this.url },
      `embedded MQTT broker listening on 127.0.0.1:${this.port}; Home Assistant on this host can use broker 127.0.0.1 port ${this.port}; for a remote Home Assistant set ROOMBOX_MQTT_URL to a shared broker`,
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.broker ? this.broker.close(() => resolve()) : resolve()));
  }
}
