import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';

const dir = mkdtempSync(join(tmpdir(), 'roombox-tls-'));
const f = (n: string) => join(dir, n);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=roombox test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=testbox', '-keyout', 'client.key', '-out', 'client.csr');
  ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.pem');
}

const PASSWORD = 'c0rrect-h0rse';

describe('TLS with a client certificate, and password authentication', { timeout: 300_000 }, () => {
  let broker: Mosquitto;
  before(async () => {
    makeCertificates();
    execFileSync('mosquitto_passwd', ['-b', '-c', f('passwd'), 'box', PASSWORD], { stdio: 'pipe' });
    writeFileSync(f('box-password'), `${PASSWORD}\n`);
    broker = new Mosquitto({
      extraConfig: [`cafile ${f('ca.pem')}`, `certfile ${f('server.pem')}`, `keyfile ${f('server.key')}`, 'require_certificate true', `password_file ${f('passwd')}`, 'allow_anonymous false'],
    });
    await broker.start();
  }, { timeout: 180_000 });
  after(async () => {
    await broker.dispose();
  }, { timeout: 180_000 });

  const tlsProbe = () =>
    MqttProbe.connect(`mqtts://127.0.0.1:${broker.port}`, ['roombox/#'], {
      ca: execFileSync('cat', [f('ca.pem')]),
      cert: execFileSync('cat', [f('client.pem')]),
      key: execFileSync('cat', [f('client.key')]),
      username: 'box',
      password: PASSWORD,
    });

  it('comes online over mqtts with CA, client certificate and a password file, never logging the secret', async () => {
    const probe = await tlsProbe();
    const box = new BoxProcess({
      ROOMBOX_MQTT_URL: `mqtts://127.0.0.1:${broker.port}`,
      ROOMBOX_MQTT_CA_FILE: f('ca.pem'),
      ROOMBOX_MQTT_CERT_FILE: f('client.pem'),
      ROOMBOX_MQTT_KEY_FILE: f('client.key'),
      ROOMBOX_MQTT_USERNAME: 'box',
      ROOMBOX_MQTT_PASSWORD_FILE: f('box-password'),
      ROOMBOX_LOG_LEVEL: 'debug',
    }).start();
    try {
      await probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online', 20_000);
      assert.equal(await box.kill('SIGTERM'), 0);
      assert.doesNotMatch(box.stdout + box.stderr, new RegExp(PASSWORD));
      for (const m of probe.messages) assert.doesNotMatch(m.payload, new RegExp(PASSWORD));
    } finally {
      await probe.close();
      await box.dispose();
    }
  });

  it('with a wrong password logs a clear error and backs off instead of looping', async () => {
    const box = new BoxProcess({
      ROOMBOX_MQTT_URL: `mqtts://127.0.0.1:${broker.port}`,
      ROOMBOX_MQTT_CA_FILE: f('ca.pem'),
      ROOMBOX_MQTT_CERT_FILE: f('client.pem'),
      ROOMBOX_MQTT_KEY_FILE: f('client.key'),
      ROOMBOX_MQTT_USERNAME: 'box',
      ROOMBOX_MQTT_PASSWORD: 'wrong-secret',
    }).start();
    try {
      await box.waitForLog(/"delayMs":\d+.*\n(.*\n)*.*"delayMs"/, 30_000);
      const errors = box.logs().filter((l) => l.msg === 'mqtt error');
      assert.ok(errors.length >= 1);
      assert.match(String(errors[0]!.err), /Not authorized|Bad username or password/i);
      const delays = box.logs().filter((l) => l.msg === 'mqtt reconnect scheduled').map((l) => l.delayMs as number);
      assert.ok(delays[0]! >= 500 && delays[1]! >= 1000, `delays grow: ${delays}`);
      assert.doesNotMatch(box.stdout + box.stderr, /wrong-secret/);
    } finally {
      await box.dispose();
    }
  });

  it('refuses a broker whose certificate the CA did not sign', async () => {
    const other = mkdtempSync(join(tmpdir(), 'roombox-ca2-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other CA', '-keyout', join(other, 'k'), '-out', join(other, 'ca.pem')], { stdio: 'pipe' });
    const box = new BoxProcess({
      ROOMBOX_MQTT_URL: `mqtts://127.0.0.1:${broker.port}`,
      ROOMBOX_MQTT_CA_FILE: join(other, 'ca.pem'),
      ROOMBOX_MQTT_CERT_FILE: f('client.pem'),
      ROOMBOX_MQTT_KEY_FILE: f('client.key'),
      ROOMBOX_MQTT_USERNAME: 'box',
      ROOMBOX_MQTT_PASSWORD: PASSWORD,
    }).start();
    try {
      await box.waitForLog(/mqtt error/, 30_000);
      assert.match(JSON.stringify(box.logs().find((l) => l.msg === 'mqtt error')), /certificate|self.signed/i);
      assert.doesNotMatch(box.stdout, /"msg":"online"/);
    } finally {
      await box.dispose();
    }
  });
});
