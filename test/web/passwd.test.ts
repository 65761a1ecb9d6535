import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { isPasswordHash, verifyPassword } from '../../firmware/config/password-hash.js';
import { loadConfig } from '../../firmware/config/load.js';
import { readableLine } from '../../firmware/core/logger.js';
import { ROOT } from '../helpers/box-process.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const roombox = (args: string[], input: string) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'firmware', 'main.ts'), ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 30_000 });

describe('roombox passwd and the password file', { timeout: 60_000 }, () => {
  it('prints a salted scrypt line for the password on stdin that verifies it and nothing else', async () => {
    const a = roombox(['passwd'], 'open sesame 42\n');
    assert.equal(a.status, 0, a.stderr);
    const line = a.stdout.trim();
    assert.ok(isPasswordHash(line), line);
    assert.equal(line.includes('open sesame'), false);
    assert.equal(await verifyPassword('open sesame 42', line), true);
    assert.equal(await verifyPassword('open sesame 43', line), false);
    const b = roombox(['passwd'], 'open sesame 42\n');
    assert.notEqual(b.stdout.trim(), line, 'a fresh salt every time');
  });

  it('refuses a short password, and a password file that does not hold such a line', () => {
    const r = roombox(['passwd'], 'short\n');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /at least 8 characters/);
    const dir = mkdtempSync(join(tmpdir(), 'roombox-pw-'));
    try {
      writeFileSync(join(dir, 'pw'), 'hunter2\n');
      assert.throws(() => loadConfig({ ROOMBOX_HTTP_PASSWORD_FILE: join(dir, 'pw') }), /ROOMBOX_HTTP_PASSWORD_FILE=.* is invalid: expected the line printed by 'roombox passwd'/);
      assert.throws(() => loadConfig({ ROOMBOX_HTTP: 'localhost:99999' }), /ROOMBOX_HTTP='localhost:99999' is invalid/);
      assert.deepEqual(loadConfig({ ROOMBOX_HTTP: '0.0.0.0:80' }).config.http, { host: '0.0.0.0', port: 80 });
      assert.equal(loadConfig({ ROOMBOX_HTTP: 'off' }).config.http, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows log lines readable on a terminal', () => {
    const line = readableLine('{"level":"info","time":"2026-01-02T03:04:05.678Z","url":"http://127.0.0.1:8080/","msg":"web page at http://127.0.0.1:8080/"}\n');
    assert.equal(line, '03:04:05 INFO  web page at http://127.0.0.1:8080/  url=http://127.0.0.1:8080/\n');
  });
});
