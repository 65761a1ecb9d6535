import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually } from '../helpers/wait.js';

const FLAPS = Number(process.env.FLAPS ?? 12);
const P = 'roombox/testbox';

describe('broker flapping: down until the box retries, up until it is back', { timeout: 600_000 }, () => {
  const broker = new Mosquitto();
  let proxy: TcpProxy;
  let probe: MqttProbe;
  let box: BoxProcess;
  /** A console line over P/request (the probe talks to the broker directly, not through the proxy). */
  const ask = async <T>(line: string): Promise<T> => (await probe.request<T>(P, line)).data;

  before(async () => {
    await broker.start();
    proxy = await new TcpProxy(broker.port).start();
    probe = await MqttProbe.connect(broker.url, [`${P}/event`, `${P}/telemetry`, `${P}/status`, `${P}/response`, `${P}/zone/living/state`]);
    box = new BoxProcess({ ROOMBOX_MQTT_URL: proxy.url, ROOMBOX_TELEMETRY_S: '1', ROOMBOX_LOG_LEVEL: 'warn' }).start();
    await probe.waitFor((m) => m.topic === `${P}/status` && m.payload === 'online', 30_000, 'online');
  }, { timeout: 180_000 });
  after(async () => {
    await box?.dispose();
    await probe?.close();
    await proxy?.stop();
    await broker.dispose();
  }, { timeout: 180_000 });

  it(`loses nothing, converges and backs off with jitter over ${FLAPS} outages`, async () => {
    const connectionsBefore = proxy.connections;
    let commands = 0;
    // Commands all along: good ones change the volume, bad ones each make a command_rejected
    // event (when the box is reachable; the broker drops what a disconnected box cannot take).
    const command = () => {
      commands++;
      return probe.publish(`${P}/zone/living/volume/set`, commands % 3 === 0 ? 'loud' : String(10 + (commands % 50)));
    };
    const flaps = FLAPS;
    for (let i = 0; i < flaps; i++) {
      proxy.down();
      // Down until the box has tried to come back once, twice or three times (each refused: it
      // backs off further), so some outages outlast several of its delays.
      const refused = proxy.connections;
      for (let attempt = 1; attempt <= 1 + (i % 3); attempt++) {
        await command();
        await proxy.attempted(refused + attempt, 60_000);
      }
      const back = probe.mark();
      proxy.up();
      // Up until it is back: it says online again on every connect.
      await probe.waitSince(back, (m) => m.topic === `${P}/status` && m.payload === 'online', 60_000, `online after outage ${i + 1}`);
      for (let n = 0; n < 3; n++) await command();
    }

    // Converges: a last command is obeyed, and the retained state is the box's own state.
    await probe.publish(`${P}/zone/living/volume/set`, '77');
    await probe.waitFor((m, i) => m.topic === `${P}/zone/living/state` && i > 0 && JSON.parse(m.payload).volume === 77, 30_000, 'volume 77');
    const retained = await MqttProbe.connect(broker.url, [`${P}/zone/living/state`, `${P}/status`]);
    try {
      const state = JSON.parse((await retained.waitFor((m) => m.topic.endsWith('/state'), 10_000, 'retained state')).payload);
      const own = await ask<Record<string, unknown>>('zone living --json');
      for (const k of ['power', 'mode', 'volume', 'mute', 'fault']) assert.deepEqual(state[k], own[k], `retained ${k} is the box's own`);
      assert.equal((await retained.waitFor((m) => m.topic.endsWith('/status'), 10_000)).payload, 'online');
    } finally {
      await retained.close();
    }

    // Nothing lost: every seq of events and telemetry, in order, no gap.
    const outbox = await eventually(
      async () => {
        const o = await ask<{ depth: number; lastSeq: number }>('outbox --json');
        assert.equal(o.depth, 0, 'the outbox drains');
        return o;
      },
      { timeoutMs: 60_000, what: 'the outbox draining', retryMs: 500 },
    );
    const isOutboxMessage = (m: Received) => /\/(event|telemetry)$/.test(m.topic);
    await probe.waitFor((m) => isOutboxMessage(m) && (JSON.parse(m.payload) as { seq: number }).seq === outbox.lastSeq, 60_000, `seq ${outbox.lastSeq}`);
    const seqs = () => [...new Set(probe.messages.filter(isOutboxMessage).map((m) => (JSON.parse(m.payload) as { seq: number }).seq))];
    const seen = seqs();
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'in seq order');
    assert.equal(seen[0], 1);
    assert.equal(seen.length, outbox.lastSeq, `every seq 1..${outbox.lastSeq} arrived`);
    const rejected = probe.messages.filter((m) => m.topic.endsWith('/event') && /"command_rejected"/.test(m.payload)).length;
    assert.ok(rejected > 0, 'bad commands were taken and reported while flapping');

    // No reconnect storm: a handful of attempts per outage, spread by jitter.
    const link = await ask<{ reconnects: number; recent_backoff_ms: number[] }>('mqtt --json');
    const attempts = proxy.connections - connectionsBefore;
    assert.ok(attempts <= flaps * 4, `${attempts} connection attempts for ${flaps} outages`);
    // Backoff grows while attempts keep landing in outages, so how often it gets back in varies.
    assert.ok(link.reconnects >= 1, `reconnected after the outages (${link.reconnects})`);
    const delays = link.recent_backoff_ms;
    assert.ok(delays.every((d) => d >= 500), `no hot loop: ${delays.join(', ')}`);
    assert.ok(new Set(delays).size > delays.length / 2, `jittered: ${delays.join(', ')}`);
    assert.equal(box.exitCode, null);
  });
});
