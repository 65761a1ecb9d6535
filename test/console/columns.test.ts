import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';

const READS = ['help', 'help zone', 'help sim', 'zone', 'zone living', 'input', 'input stage', 'status', 'gpio', 'mqtt', 'outbox', 'events 50', 'selftest', 'version', 'i2c scan 1', 'config'];

describe('the console on an 80-column terminal', { timeout: 90_000 }, () => {
  it('help and every table fit 80 columns, also with a fault and a chip that does not answer', async () => {
    const broker = await new Mosquitto().start();
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
    const probe = await MqttProbe.connect(broker.url, ['roombox/testbox/status']);
    try {
      await probe.waitFor((m) => m.payload === 'online', 20_000, 'online');
      for (const line of ['zone living power on', 'zone living volume 95', 'sim fault kitchen on', 'sim chip living eio', 'zone living volume 10', 'sim unplug stage']) await box.app.ctx.commands.execute(line, 'test');
      const wide: string[] = [];
      for (const line of READS) {
        const r = await box.app.ctx.commands.execute(line, 'test');
        assert.ok(r.output.length > 0, `${line} printed something`);
        for (const l of r.output.split('\n')) if ([...l].length > 80) wide.push(`${line}: (${[...l].length}) ${l}`);
      }
      assert.deepEqual(wide, []);
    } finally {
      await probe.close();
      await box.stop();
      await broker.dispose();
    }
  });
});
