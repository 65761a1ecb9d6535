import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { UserError as CommandRejected } from '../../firmware/core/errors.js';
import { parseCommand } from '../../firmware/controls/mqtt-routes.js';
import { ZONE_CONTROLS } from '../../firmware/zones/controls.js';
import { Changes } from '../helpers/wait.js';
import { seeded } from '../helpers/seeded.js';

const COUNT = Number(process.env.HOSTILE_COUNT ?? 10_000);
const P = 'roombox/testbox';

/** A small seeded generator, so a failure can be replayed with the same payloads. */
function prng(seed: number) {
  const next = seeded(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { int, pick };
}

const SHAPES = [
  '', ' ', 'null', 'true', '[]', '{}', '"on"', '101', '-1', '1e309', 'NaN', 'Infinity', '0x20', '50%', '5 0', '١٠',
  'ONN', 'of', 'autom', 'manuel', '{"volume":"loud"}', '{"volume":101}', '{"volume":null}', '{"power":1}', '{"power":"standby"}',
  '{"mute":"yes"}', '{"mute":1}', '{"__proto__":{"volume":5}}', '{"constructor":{"prototype":{}}}', '{"volume":50,"colour":"red"}',
  '{"id":1,"line":"status"}', '{"id":"","line":"status"}', `{"id":"${'i'.repeat(65)}","line":"status"}`, '{"id":"x","line":5}',
  '{"id":"x"}', '{"line":"status"}', '{"id":"x","line":"status","then":"restart"}', `{"id":"x","line":"${'z'.repeat(1100)}"}`,
  '{"id":"x","line":"status"', '{"volume":5,}', "{'volume':5}", '\u0000\u0000', '\ud800', '<xml/>', 'DROP TABLE outbox;',
];

function randomPayload(r: ReturnType<typeof prng>): Buffer {
  switch (r.int(6)) {
    case 0:
      return Buffer.from(Array.from({ length: r.int(300) }, () => r.int(256)));
    case 1:
      return Buffer.from(r.pick(SHAPES));
    case 2: // a shape with random bytes spliced in
      return Buffer.concat([Buffer.from(r.pick(SHAPES)), Buffer.from([r.int(256), r.int(256)]), Buffer.from(r.pick(SHAPES))]);
    case 3: // deep nesting
      return Buffer.from(`${'['.repeat(1 + r.int(5000))}1${']'.repeat(r.int(5000))}`);
    case 4: // oversize, now and then
      return r.int(50) === 0 ? Buffer.alloc(70_000, 0x7b) : Buffer.from(JSON.stringify({ volume: r.int(1000) - 500, power: r.pick(['on', 'ON ', 'up', 7]) }));
    default:
      return Buffer.from(String(r.int(2000) - 1000 + r.int(1000) / 7));
  }
}

const COMMANDS = ['set', ...ZONE_CONTROLS.map((c) => `${c.key}/set`)];
const ZONES = { noun: 'zone', plural: 'zones', controls: ZONE_CONTROLS, targets: () => new Map(), label: String, describe: String };

/** True when the firmware would accept the payload as a command (those are not hostile). */
function acceptable(command: string, payload: Buffer): boolean {
  if (command === 'request') {
    try {
      const v = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      return !!v && typeof v === 'object' && typeof v.id === 'string' && v.id.length > 0 && v.id.length <= 64 && typeof v.line === 'string' && Buffer.byteLength(v.line) <= 1024 && Object.keys(v).every((k) => k === 'id' || k === 'line');
    } catch {
      return false;
    }
  }
  if (payload.length > 64 * 1024) return false;
  try {
    parseCommand(ZONES, command, payload);
    return true;
  } catch (err) {
    if (err instanceof CommandRejected) return false;
    throw err;
  }
}

describe('hostile input on every command topic', { timeout: 300_000 }, () => {
  const broker = new Mosquitto();
  let box: BoxProcess;
  let probe: MqttProbe;

  /** Runs a console line over P/request and returns its JSON data. */
  const ask = async (line: string): Promise<unknown> => (await probe.request(P, line)).data;
  /** Every line level and chip register of the sim board, and each zone's state. */
  const hardware = async () => {
    const gpio = (await ask('gpio --json')) as { lines: unknown; sim_chips: unknown };
    return { lines: gpio.lines, chips: gpio.sim_chips, zones: await ask('zone --json') };
  };

  before(async () => {
    await broker.start();
    probe = await MqttProbe.connect(broker.url, [`${P}/status`, `${P}/response`, `${P}/zone/+/state`]);
    box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_LOG_LEVEL: 'error' }).start();
    await probe.waitFor((m) => m.topic === `${P}/status` && m.payload === 'online', 30_000, 'online');
  }, { timeout: 180_000 });
  after(async () => {
    await box?.dispose();
    await probe?.close();
    await broker.dispose();
  }, { timeout: 180_000 });

  it(`answers ${COUNT} malformed payloads with one P/error each and changes nothing`, async () => {
    const before = await hardware();
    const r = prng(20261125);
    const targets = [
      ...COMMANDS.map((c) => ({ topic: `${P}/zone/living/${c}`, command: c })),
      ...COMMANDS.map((c) => ({ topic: `${P}/zone/kitchen/${c}`, command: c })),
      { topic: `${P}/zone/attic/volume/set`, command: 'unknown-zone' },
      { topic: `${P}/request`, command: 'request' },
    ];
    const sent: { topic: string; payload: Buffer }[] = [];
    while (sent.length < COUNT) {
      const t = r.pick(targets);
      const payload = randomPayload(r);
      if (t.command !== 'unknown-zone' && acceptable(t.command, payload)) continue;
      sent.push({ topic: t.topic, payload });
    }

    const errors = await MqttProbe.connect(broker.url, [`${P}/error`, `${P}/response`]);
    const seen = new Map<string, number>();
    let count = 0;
    const counted = new Changes();
    errors.client.on('message', (t, p) => {
      if (t !== `${P}/error`) return;
      count++;
      counted.changed();
      const e = JSON.parse(p.toString()) as { topic: string; error: string };
      seen.set(e.topic, (seen.get(e.topic) ?? 0) + 1);
      assert.equal(typeof e.error, 'string');
    });
    try {
      for (let i = 0; i < sent.length; i += 200) {
        await Promise.all(sent.slice(i, i + 200).map((s) => errors.client.publishAsync(s.topic, s.payload, { qos: 1 })));
      }
      await counted.until(() => count >= COUNT, 120_000, `${COUNT} P/errors`).catch(() => {});
      // Sent after the hostile payloads on the same connection: an extra P/error would come before its answer.
      await errors.marker(P, 60_000);
      const expected = new Map<string, number>();
      for (const s of sent) expected.set(s.topic, (expected.get(s.topic) ?? 0) + 1);
      assert.equal(count, COUNT, `P/errors for ${COUNT} hostile payloads`);
      assert.deepEqual(seen, expected, 'one P/error per payload, on each topic');
    } finally {
      await errors.close();
    }

    assert.equal(box.exitCode, null, 'the box is still running');
    assert.deepEqual(await hardware(), before, 'no line, register or zone state changed');
    // And it still obeys a good command.
    await probe.publish(`${P}/zone/living/volume/set`, '31');
    await probe.waitFor((m) => m.topic === `${P}/zone/living/state` && JSON.parse(m.payload).volume === 31, 20_000, 'volume 31');
  });
});
