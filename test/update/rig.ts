import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import type { Card } from './card.js';
import { makeKeyPair, ReleaseServer } from './release-server.js';

export const BASE = 'roombox/testbox';
export const isEvent = (type: string) => (m: Received) => m.topic === `${BASE}/event` && JSON.parse(m.payload).type === type;

/** What the update tests share: a broker and a probe on it, the release server, the update key. */
export class UpdateRig {
  readonly broker = new Mosquitto();
  readonly releases = mkdtempSync(join(tmpdir(), 'roombox-releases-'));
  readonly server = new ReleaseServer(this.releases);
  readonly keys = makeKeyPair();
  readonly keyFile = join(this.releases, 'update-key.pub');
  probe!: MqttProbe;

  async start(): Promise<void> {
    await this.broker.start();
    await this.server.start();
    writeFileSync(this.keyFile, this.keys.publicKey.export({ type: 'spki', format: 'pem' }));
    this.probe = await MqttProbe.connect(this.broker.url, [`${BASE}/#`, 'homeassistant/#']);
  }

  async dispose(): Promise<void> {
    await this.probe?.close();
    await this.server.stop();
    await this.broker.dispose();
    rmSync(this.releases, { recursive: true, force: true });
  }

  /** A boot of `slot` on `card`: the box on it, online on the broker (unless its env points elsewhere). */
  async boxOn(card: Card, slot: 'a' | 'b', o: { version?: string; migrations?: readonly string[]; channel?: string; env?: Record<string, string> } = {}) {
    const mark = this.probe.mark();
    const box = await startInProcessBox({
      dataDir: card.dataDir,
      version: o.version,
      migrations: o.migrations,
      stopOnExitRequest: true,
      env: card.env(card.boot(slot), {
        ROOMBOX_MQTT_URL: this.broker.url,
        ROOMBOX_UPDATE_KEY: this.keyFile,
        ...(o.channel ? { ROOMBOX_UPDATE_URL: this.server.url(o.channel) } : {}),
        ...o.env,
      }),
    });
    if (!o.env?.ROOMBOX_MQTT_URL) await this.probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'online', 20_000, 'the box online');
    return box;
  }
}
