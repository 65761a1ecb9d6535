import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '../../firmware/api/schema.js';
import { App } from '../../firmware/app.js';
import { loadProfile } from '../../firmware/board/load-profile.js';
import { loadConfig } from '../../firmware/config/load.js';
import { control, type ControlFeature } from '../../firmware/controls/control.js';
import { controlDocRows } from '../../firmware/controls/doc-lines.js';
import { installControls } from '../../firmware/controls/install.js';
import { createLogger, LogRing } from '../../firmware/core/logger.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';

/** A fixture feature: desk lamps with one control, declared once. */
class Lamp {
  level = 0;
}
const lamps = new Map([['desk', new Lamp()]]);
const LAMPS: ControlFeature<Lamp> = {
  noun: 'lamp',
  plural: 'lamps',
  targets: () => lamps,
  label: (name) => `Lamp ${name}`,
  describe: (name, lamp) => `${name} level ${lamp.level}`,
  controls: [
    control({
      key: 'level',
      value: Type.Integer({ minimum: 0, maximum: 10 }),
      inSet: true,
      help: 'brightness 0-10',
      ha: { platform: 'number', name: 'level', options: { min: 0, max: 10, value_template: '{{ value_json.level }}' } },
      apply: (lamp: Lamp, level) => {
        lamp.level = level;
      },
    }),
  ],
};

describe('a control declared once in a fixture feature', { timeout: 60_000 }, () => {
  it('gets its MQTT topic, console command, Home Assistant entity and doc line from that one declaration', async () => {
    const broker = await new Mosquitto().start();
    const dataDir = mkdtempSync(join(tmpdir(), 'roombox-fixture-'));
    const { config } = loadConfig({ ROOMBOX_ID: 'testbox', ROOMBOX_DATA_DIR: dataDir, ROOMBOX_CONSOLE: 'off', ROOMBOX_MQTT_URL: broker.url, ROOMBOX_BOARD: 'usb-capture' }, { hostname: 'test' });
    const ring = new LogRing();
    const app = new App({ config, profile: loadProfile(config.board), logger: createLogger('silent', ring, { write: () => true }).logger, logRing: ring });
    const probe = await MqttProbe.connect(broker.url, ['roombox/testbox/#', 'homeassistant/device/testbox/config']);
    try {
      const installed = installControls(app.ctx, LAMPS, { summary: 'desk lamps', run: (one) => ({ text: one ? LAMPS.describe(one.name, one.value) : 'lamps' }) });
      installed.addEntities('desk', 'roombox/testbox/lamp/desk/state');
      await app.start();
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 20_000, 'online');

      // MQTT: the text topic and the JSON set topic.
      await probe.request('roombox/testbox', 'version'); // the box answers: its subscriptions are in place
      await probe.publish('roombox/testbox/lamp/desk/level/set', '7');
      await probe.request('roombox/testbox', 'version'); // commands run in order: the set came first
      assert.equal(lamps.get('desk')!.level, 7);
      await probe.publish('roombox/testbox/lamp/desk/set', '{"level":3}');
      await probe.publish('roombox/testbox/lamp/desk/level/set', '11');
      const err = await probe.waitFor((m) => m.topic === 'roombox/testbox/error', 10_000, 'P/error for 11');
      assert.match(JSON.parse(err.payload).error, /level '11' is out of range 0-10/);
      assert.equal(lamps.get('desk')!.level, 3);

      // Console: the command, its help and the same parser.
      const run = (line: string) => app.ctx.commands.execute(line, 'test');
      assert.equal((await run('lamp desk level 5')).output, 'desk level 5');
      assert.equal((await run('lamp desk level 12')).output, "error: level '12' is out of range 0-10");
      assert.equal((await run('lamp attic level 1')).output, "error: unknown lamp 'attic' (lamps: desk)");
      assert.match((await run('help lamp')).output, /^lamp <lamp> level <0-10> +brightness 0-10$/m);

      // Home Assistant: the entity, with its command topic.
      const disc = await probe.waitFor((m) => m.topic === 'homeassistant/device/testbox/config' && m.payload.includes('desk_level'), 10_000, 'discovery');
      const entity = JSON.parse(disc.payload).cmps.desk_level;
      assert.deepEqual(
        { p: entity.p, name: entity.name, command_topic: entity.command_topic, state_topic: entity.state_topic, min: entity.min, max: entity.max },
        { p: 'number', name: 'Lamp desk level', command_topic: 'roombox/testbox/lamp/desk/level/set', state_topic: 'roombox/testbox/lamp/desk/state', min: 0, max: 10 },
      );

      // Docs: the line of the MQTT page.
      const rows = controlDocRows(LAMPS);
      assert.ok(rows.includes('| `P/lamp/<lamp>/level/set` | integer 0-10 | `lamp <lamp> level <0-10>` | `number` level | brightness 0-10 |'), rows.join('\n'));
      assert.ok(rows.some((r) => r.startsWith('| `P/lamp/<lamp>/set` | JSON object with any of `level`: integer 0-10')), rows.join('\n'));
    } finally {
      await probe.close();
      await app.stop();
      await broker.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
