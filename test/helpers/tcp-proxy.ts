import { createServer, connect, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { freePort } from './ports.js';
import { Changes } from './wait.js';

export interface ProxiedPublish {
  topic: string;
  payload: string;
  /** The packet id (QoS 1 and 2). */
  messageId?: number;
  /** Which client connection (counted from 1) carried it. */
  connection: number;
}

/**
 * A TCP proxy on loopback that a test can cut: `down()` closes every connection and refuses new
 * ones (the broker is unreachable for the box), `up()` lets them through again. Subscribers that
 * connect to the broker directly stay connected and see everything the box delivers.
 *
 * It also reads the MQTT packets it passes (split into whole packets, each forwarded unchanged):
 * `publishes` lists every PUBLISH the client sent, and `swallowPubacks()` makes it drop the
 * broker's PUBACKs, so a test can cut the link while an acknowledgement is awaited.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private open = true;
  private swallowing?: (packetId: number, connection: number) => void;
  port = 0;
  /** Connections the proxy was asked for, refused ones included. */
  connections = 0;
  private readonly arrivals = new Changes();
  readonly publishes: ProxiedPublish[] = [];

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    this.server = createServer({ noDelay: true }, (client) => {
      const connection = ++this.connections;
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
      const decode = mqttPacket.parser({ protocolVersion: 4 });
      decode.on('packet', (p) => {
        if (p.cmd === 'publish') this.publishes.push({ topic: p.topic, payload: p.payload.toString(), messageId: p.messageId, connection });
      });
      client.on('data', frames((frame) => {
        decode.parse(frame);
        upstream.write(frame);
      }));
      upstream.on('data', frames((frame) => {
        // PUBACK: type 4, remaining length 2, the packet id.
        if (this.swallowing && frame[0]! >> 4 === 4) return this.swallowing(frame.readUInt16BE(2), connection);
        client.write(frame);
      }));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    return this;
  }

  /** Resolves once `count` connections in all have been asked for (refused ones included). */
  attempted(count: number, timeoutMs = 30_000): Promise<void> {
    return this.arrivals.until(() => this.connections >= count, timeoutMs, `connection attempt ${count}`);
  }

  /**
   * From now on the broker's PUBACKs are dropped (until `down()`); resolves with the first
   * PUBLISH on a topic matching `topic` whose PUBACK was dropped.
   */
  swallowPubacks(topic: RegExp): Promise<ProxiedPublish> {
    return new Promise((resolve) => {
      this.swallowing = (id, connection) => {
        const sent = [...this.publishes].reverse().find((p) => p.connection === connection && p.messageId === id);
        if (sent && topic.test(sent.topic)) resolve(sent);
      };
    });
  }

  down(): void {
    this.open = false;
    this.swallowing = undefined;
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

/** Splits a byte stream into whole MQTT packets (fixed header, variable-length remaining length). */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < buffered.length && i <= 4; i++) {
        length += (buffered[i]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((buffered[i]! & 0x80) === 0) break;
      }
      if (i >= buffered.length || buffered.length < i + 1 + length) return;
      const end = i + 1 + length;
      onFrame(buffered.subarray(0, end));
      buffered = buffered.subarray(end);
    }
  };
}
