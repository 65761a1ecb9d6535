import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, redactedConfig, sanitiseHostname } from '../../firmware/config/load.js';
import { ConfigError } from '../../firmware/config/config.js';
import { VARS } from '../../firmware/config/schema.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, { hostname: 'box' });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

const dir = mkdtempSync(join(tmpdir(), 'roombox-cfg-'));
const pem = join(dir, 'ca.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n');
const pwFile = join(dir, 'pw');
writeFileSync(pwFile, 's3cret\n');

describe('configuration from the environment', { timeout: 60_000 }, () => {
  it('runs on defaults with nothing set', () => {
    const { config, warnings } = loadConfig({}, { hostname: 'Living-Room.local', stdinIsTTY: true });
    assert.equal(config.id, 'living-room-local');
    assert.equal(config.board, 'sim');
    assert.equal(config.mqtt.url, undefined);
    assert.equal(config.mqtt.version, 4);
    assert.equal(config.mqtt.embeddedPort, 1883);
    assert.equal(config.topicPrefix, 'roombox');
    assert.equal(config.haDiscovery, true);
    assert.equal(config.haPrefix, 'homeassistant');
    assert.equal(config.dataDir, './data');
    assert.equal(config.console.target, 'stdio');
    assert.equal(config.console.baud, 115200);
    assert.equal(config.telemetryS, 60);
    assert.equal(config.levelsHz, 10);
    assert.equal(config.ampIdleS, 600);
    assert.equal(config.silenceDbfs, -60);
    assert.equal(config.silenceS, 10);
    assert.equal(config.quietLufs, undefined, 'no quiet alarm unless asked for');
    assert.equal(config.outboxMax, 100000);
    assert.equal(config.procRoot, undefined);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.gpio, 'auto');
    assert.deepEqual(warnings, []);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.mqtt));
  });

  it('turns the console off by default when stdin is not a terminal', () => {
    assert.equal(loadConfig({}, { hostname: 'x', stdinIsTTY: false }).config.console.target, 'off');
  });

  it('sanitises the hostname into a valid id', () => {
    assert.equal(sanitiseHostname('--Box_01--'), 'box-01');
    assert.equal(sanitiseHostname('ÄÖ'), 'roombox');
    assert.equal(sanitiseHostname('a'.repeat(40)).length, 32);
  });

  it('reads every variable of the contract', () => {
    const { config } = loadConfig(
      {
        ROOMBOX_ID: 'kitchen-1',
        ROOMBOX_BOARD: 'board/sim.json',
        ROOMBOX_MQTT_URL: 'mqtts://user:pw@broker.example:8883',
        ROOMBOX_MQTT_VERSION: '5',
        ROOMBOX_EMBEDDED_BROKER_PORT: '2883',
        ROOMBOX_MQTT_USERNAME: 'box',
        ROOMBOX_MQTT_PASSWORD_FILE: pwFile,
        ROOMBOX_MQTT_CA_FILE: pem,
        ROOMBOX_MQTT_CERT_FILE: pem,
        ROOMBOX_MQTT_KEY_FILE: pem,
        ROOMBOX_TOPIC_PREFIX: 'home/audio',
        ROOMBOX_HA_DISCOVERY: 'false',
        ROOMBOX_HA_PREFIX: 'ha',
        ROOMBOX_DATA_DIR: '/var/lib/roombox',
        ROOMBOX_CONSOLE: '/dev/serial0',
        ROOMBOX_CONSOLE_BAUD: '9600',
        ROOMBOX_TELEMETRY_S: '5',
        ROOMBOX_LEVELS_HZ: '0',
        ROOMBOX_AMP_IDLE_S: '30',
        ROOMBOX_SILENCE_DBFS: '-50.5',
        ROOMBOX_SILENCE_S: '3',
        ROOMBOX_QUIET_LUFS: '-36.5',
        ROOMBOX_OUTBOX_MAX: '500',
        ROOMBOX_PROC_ROOT: '/tmp/fake',
        ROOMBOX_LOG_LEVEL: 'debug',
        ROOMBOX_GPIO: 'sysfs',
        ROOMBOX_ZONE_LIVING_MAX_VOLUME: '70',
        ROOMBOX_ZONE_LIVING_PLAYER: 'mopidy://127.0.0.1:6680',
        ROOMBOX_ZONE_LIVING_VOLUME_SYNC: 'player',
        ROOMBOX_ZONE_KITCHEN_PLAYER: 'snapcast://snap.lan:1705/kitchen-pi',
      },
      { hostname: 'ignored' },
    );
    assert.equal(config.id, 'kitchen-1');
    assert.equal(config.board, 'board/sim.json');
    assert.equal(config.mqtt.url, 'mqtts://user:pw@broker.example:8883');
    assert.equal(config.mqtt.version, 5);
    assert.equal(config.mqtt.embeddedPort, 2883);
    assert.equal(config.mqtt.username, 'box');
    assert.equal(config.mqtt.password, 's3cret');
    assert.equal(config.mqtt.caFile, pem);
    assert.equal(config.topicPrefix, 'home/audio');
    assert.equal(config.haDiscovery, false);
    assert.equal(config.haPrefix, 'ha');
    assert.equal(config.console.target, '/dev/serial0');
    assert.equal(config.console.baud, 9600);
    assert.equal(config.telemetryS, 5);
    assert.equal(config.levelsHz, 0);
    assert.equal(config.ampIdleS, 30);
    assert.equal(config.silenceDbfs, -50.5);
    assert.equal(config.silenceS, 3);
    assert.equal(config.quietLufs, -36.5);
    assert.equal(config.outboxMax, 500);
    assert.equal(config.procRoot, '/tmp/fake');
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.gpio, 'sysfs');
    assert.deepEqual(config.zones.living, { maxVolume: 70, player: 'mopidy://127.0.0.1:6680', volumeSync: 'player' });
    assert.deepEqual(config.zones.kitchen, { player: 'snapcast://snap.lan:1705/kitchen-pi', volumeSync: 'off' });
  });

  it('counts an empty value as unset', () => {
    const { config } = loadConfig({ ROOMBOX_MQTT_URL: '', ROOMBOX_TELEMETRY_S: '' }, { hostname: 'x' });
    assert.equal(config.mqtt.url, undefined);
    assert.equal(config.telemetryS, 60);
  });

  const bad: [string, string][] = [
    ['ROOMBOX_ID', 'Upper_Case'],
    ['ROOMBOX_ID', '-leading'],
    ['ROOMBOX_ID', 'a'.repeat(33)],
    ['ROOMBOX_BOARD', 'bad name!'],
    ['ROOMBOX_MQTT_URL', 'http://broker:1883'],
    ['ROOMBOX_MQTT_VERSION', '3'],
    ['ROOMBOX_EMBEDDED_BROKER_PORT', '70000'],
    ['ROOMBOX_EMBEDDED_BROKER_PORT', 'abc'],
    ['ROOMBOX_MQTT_PASSWORD_FILE', '/nonexistent/pw'],
    ['ROOMBOX_MQTT_CA_FILE', '/nonexistent/ca.pem'],
    ['ROOMBOX_TOPIC_PREFIX', 'a/#'],
    ['ROOMBOX_TOPIC_PREFIX', '/lead'],
    ['ROOMBOX_HA_DISCOVERY', 'maybe'],
    ['ROOMBOX_HA_PREFIX', 'a/b'],
    ['ROOMBOX_CONSOLE', 'ttyS0'],
    ['ROOMBOX_CONSOLE_BAUD', '12345'],
    ['ROOMBOX_TELEMETRY_S', '0'],
    ['ROOMBOX_LEVELS_HZ', '-1'],
    ['ROOMBOX_AMP_IDLE_S', 'ten'],
    ['ROOMBOX_SILENCE_DBFS', '5'],
    ['ROOMBOX_SILENCE_S', '0'],
    ['ROOMBOX_QUIET_LUFS', '3'],
    ['ROOMBOX_OUTBOX_MAX', '1.5'],
    ['ROOMBOX_LOG_LEVEL', 'loud'],
    ['ROOMBOX_GPIO', 'gpiod'],
    ['ROOMBOX_ZONE_LIVING_MAX_VOLUME', '101'],
    ['ROOMBOX_ZONE_LIVING_PLAYER', 'spotify://x'],
    ['ROOMBOX_ZONE_LIVING_VOLUME_SYNC', 'chip'],
    ['ROOMBOX_ZONE_LIV-ING_MAX_VOLUME', '50'],
    // Values a coercing validator would turn into numbers or booleans; nobody means them so.
    ['ROOMBOX_TELEMETRY_S', ' 5'],
    ['ROOMBOX_TELEMETRY_S', '5 '],
    ['ROOMBOX_OUTBOX_MAX', '1e3'],
    ['ROOMBOX_EMBEDDED_BROKER_PORT', '0x50'],
    ['ROOMBOX_EMBEDDED_BROKER_PORT', '+80'],
    ['ROOMBOX_SILENCE_S', '.5'],
    ['ROOMBOX_LEVELS_HZ', 'Infinity'],
    ['ROOMBOX_MQTT_VERSION', '5.0e0'],
    ['ROOMBOX_ZONE_LIVING_MAX_VOLUME', ' 50 '],
    ['ROOMBOX_HA_DISCOVERY', '1'],
    ['ROOMBOX_HA_DISCOVERY', 'TRUE'],
  ];
  for (const [name, value] of bad) {
    it(`rejects ${name}=${value.slice(0, 20)} with one line naming it and what is allowed`, () => {
      const p = problems({ [name]: value });
      assert.equal(p.length, 1, p.join('\n'));
      assert.ok(p[0]!.startsWith(name), p[0]);
      assert.match(p[0]!, /expected/);
    });
  }

  it('reports every bad variable at once', () => {
    const p = problems({ ROOMBOX_ID: 'X', ROOMBOX_LEVELS_HZ: 'many', ROOMBOX_LOG_LEVEL: 'loud' });
    assert.deepEqual(p.map((l) => l.split('=')[0]), ['ROOMBOX_ID', 'ROOMBOX_LEVELS_HZ', 'ROOMBOX_LOG_LEVEL']);
  });

  it('never shows a secret in an error line', () => {
    const p = problems({ ROOMBOX_MQTT_URL: 'ftp://user:hunter2@broker', ROOMBOX_MQTT_PASSWORD: 'hunter2', ROOMBOX_MQTT_PASSWORD_FILE: pwFile });
    assert.ok(p.length >= 2);
    for (const line of p) assert.doesNotMatch(line, /hunter2/);
    assert.match(p[0]!, /ftp:\/\/user:\*\*\*@broker/);
  });

  it('needs a client key with a client certificate', () => {
    const p = problems({ ROOMBOX_MQTT_CERT_FILE: pem });
    assert.equal(p.length, 1);
    assert.match(p[0]!, /ROOMBOX_MQTT_KEY_FILE/);
  });

  it('warns about unknown ROOMBOX_ variables without failing', () => {
    const { warnings } = loadConfig({ ROOMBOX_TELEMETRY: '5', OTHER: 'x' }, { hostname: 'x' });
    assert.deepEqual(warnings, ['unknown variable ROOMBOX_TELEMETRY ignored']);
  });

  it('masks secrets in the config shown to people', () => {
    const { config } = loadConfig({ ROOMBOX_MQTT_URL: 'mqtt://u:topsecret@h:1883', ROOMBOX_MQTT_PASSWORD: 'topsecret' }, { hostname: 'x' });
    const shown = JSON.stringify(redactedConfig(config));
    assert.doesNotMatch(shown, /topsecret/);
    assert.match(shown, /\*\*\*/);
  });

  it('has one entry per variable, each documented in docs/configuration.md', () => {
    const names = VARS.map((v) => v.name);
    assert.equal(new Set(names).size, names.length);
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
    for (const n of names) assert.match(doc, new RegExp(`\\b${n}\\b`), `${n} in docs/configuration.md`);
  });

  it('reads the recording variables', () => {
    const key = join(dir, 'upload_key');
    writeFileSync(key, 'key\n');
    const { config } = loadConfig({ ROOMBOX_DATA_DIR: '/var/lib/roombox' }, { hostname: 'box' });
    assert.deepEqual(config.record, { atStart: false, dir: '/var/lib/roombox/recordings', segmentS: 300, minFreeMb: 500, upload: undefined, uploadKeyFile: undefined });
    const on = loadConfig({ ROOMBOX_RECORD: 'on', ROOMBOX_RECORD_DIR: '/srv/rec', ROOMBOX_RECORD_SEGMENT_S: '60', ROOMBOX_RECORD_MIN_FREE_MB: '200', ROOMBOX_RECORD_UPLOAD: 'video@store.example:/srv/backup', ROOMBOX_RECORD_UPLOAD_KEY_FILE: key }, { hostname: 'box' }).config.record;
    assert.deepEqual(on, { atStart: true, dir: '/srv/rec', segmentS: 60, minFreeMb: 200, upload: { user: 'video', host: 'store.example', port: 22, path: '/srv/backup' }, uploadKeyFile: key });
    assert.deepEqual(loadConfig({ ROOMBOX_RECORD_UPLOAD: 'ssh://video@10.0.0.5:2222/srv/backup' }, { hostname: 'box' }).config.record.upload, { user: 'video', host: '10.0.0.5', port: 2222, path: '/srv/backup' });
    assert.deepEqual(problems({ ROOMBOX_RECORD: 'yes', ROOMBOX_RECORD_SEGMENT_S: '0', ROOMBOX_RECORD_UPLOAD: 'store.example:/srv', ROOMBOX_RECORD_UPLOAD_KEY_FILE: join(dir, 'nope') }), [
      "ROOMBOX_RECORD='yes' is invalid: expected on or off",
      "ROOMBOX_RECORD_SEGMENT_S='0' is invalid: expected whole seconds, 1-86400",
      "ROOMBOX_RECORD_UPLOAD='store.example:/srv' is invalid: expected user@host:/path, or ssh://user@host:port/path for another SSH port",
      `ROOMBOX_RECORD_UPLOAD_KEY_FILE='${join(dir, 'nope')}' is invalid: expected a readable SSH private key file (ENOENT)`,
    ]);
    assert.deepEqual(problems({ ROOMBOX_RECORD_UPLOAD: 'ssh://v@h:99999/x' }), ["ROOMBOX_RECORD_UPLOAD='ssh://v@h:99999/x' is invalid: the port must be 1-65535"]);
  });
});
