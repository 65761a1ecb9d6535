import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/box-process.js';
import { freePort } from '../helpers/ports.js';

describe('the box takes its web socket from systemd (LISTEN_FDS)', { timeout: 120_000 }, () => {
  it('roombox-http.socket listens on port 80 for roombox.service, and systemd accepts both units', () => {
    const units = join(ROOT, 'rootfs-overlay', 'etc', 'systemd', 'system');
    const socket = readFileSync(join(units, 'roombox-http.socket'), 'utf8');
    assert.match(socket, /^ListenStream=80$/m);
    assert.match(socket, /^Service=roombox\.service$/m);
    assert.match(readFileSync(join(units, 'roombox.service'), 'utf8'), /^Sockets=roombox-http\.socket$/m);
    const dir = mkdtempSync(join(tmpdir(), 'roombox-units-'));
    try {
      writeFileSync(join(dir, 'roombox.service'), readFileSync(join(units, 'roombox.service'), 'utf8').replace('/usr/bin/node', process.execPath));
      copyFileSync(join(units, 'roombox-http.socket'), join(dir, 'roombox-http.socket'));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'roombox.service'), join(dir, 'roombox-http.socket')], { encoding: 'utf8' });
      const problems = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('roombox') && !/is not a directory|Failed to resolve unit specifiers/.test(l));
      assert.deepEqual(problems, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('under systemd-socket-activate the page answers on the passed socket, even with ROOMBOX_HTTP=off', async () => {
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), 'roombox-sockact-'));
    const env = { ROOMBOX_ID: 'sockbox', ROOMBOX_DATA_DIR: data, ROOMBOX_CONSOLE: 'off', ROOMBOX_HTTP: 'off', ROOMBOX_EMBEDDED_BROKER_PORT: String(await freePort()), PATH: process.env.PATH ?? '' };
    const setenv = Object.entries(env).flatMap(([k, v]) => ['-E', `${k}=${v}`]);
    const proc = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, ...setenv, process.execPath, '--import', 'tsx', join(ROOT, 'firmware', 'main.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      // systemd-socket-activate listens at once and starts the box on the first connection.
      const deadline = Date.now() + 60_000;
      let session: { auth?: string } | undefined;
      while (!session) {
        if (Date.now() > deadline) throw new Error(`no answer on the passed socket: ${out}`);
        try {
          session = (await (await fetch(`http://127.0.0.1:${port}/api/session`, { signal: AbortSignal.timeout(10_000) })).json()) as { auth?: string };
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      assert.equal(session.auth, 'read-only');
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.match(await page.text(), /<script type="module" src="\/main.js">/);
      assert.match(out, /socket from systemd \(fd 3\)/);
    } finally {
      proc.kill('SIGTERM');
      await exited;
      rmSync(data, { recursive: true, force: true });
    }
  });
});
