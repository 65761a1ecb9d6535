import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const FLAP_S = Number(process.env.FLAP_S ?? 60);
const DOWN_MS = 2000;
const UP_MS = 3000;
const P = 'roombox/testbox';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('broker flapping: down 2 s, up 3 s', { timeout: 600_000 }, () => {
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
    await box.dispose();
    await probe.close();
    await proxy.stop();
    await broker.dispose();
  }, { timeout: 180_000 });

  it(`loses nothing, converges and backs off with jitter over ${FLAP_S} s of flapping`, async () => {
    const connectionsBefore = proxy.connections;
    let flapping = true;
    let commands = 0;
    // Commands all along: good ones change the volume, bad ones each make a command_rejected
    // event (when the box is reachable; the broker drops what a disconnected box cannot take).
    const sender = (async () => {
      while (flapping) {
        commands++;
        await probe.publish(`${P}/zone/living/volume/set`, commands % 3 === 0 ? 'loud' : String(10 + (commands % 50)));
        await sleep(300);
      }
    })();
    const flaps = Math.floor((FLAP_S * 1000) / (DOWN_MS + UP_MS));
    for (let i = 0; i < flaps; i++) {
      proxy.down();
      await sleep(DOWN_MS);
      proxy.up();
      await sleep(UP_MS);
    }
    flapping = false;
    await sender;

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
    const end = Date.now() + 60_000;
    let outbox = await ask<{ depth: number; lastSeq: number }>('outbox --json');
    while (outbox.depth > 0 && Date.now() < end) {
      await sleep(500);
      outbox = await ask('outbox --json');
    }
    assert.equal(outbox.depth, 0, 'the outbox drains');
    const seqs = () => [...new Set(probe.messages.filter((m) => /\/(event|telemetry)$/.test(m.topic)).map((m) => (JSON.parse(m.payload) as { seq: number }).seq))];
    while (!seqs().includes(outbox.lastSeq) && Date.now() < end) await sleep(200);
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
