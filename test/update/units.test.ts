import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/box-process.js';

const OVERLAY = join(ROOT, 'rootfs-overlay');
const UNITS = join(OVERLAY, 'etc', 'systemd', 'system');

describe('the update units on the device', { timeout: 60_000 }, () => {
  it('systemd accepts the reboot-request path and service and the tryboot guard, whose scripts are executable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-units-'));
    const names = ['roombox-reboot.path', 'roombox-reboot.service', 'roombox-tryboot-guard.service'];
    try {
      for (const n of names) writeFileSync(join(dir, n), readFileSync(join(UNITS, n), 'utf8').replaceAll('/usr/lib/roombox/', `${join(OVERLAY, 'usr', 'lib', 'roombox')}/`));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...names.map((n) => join(dir, n))], { encoding: 'utf8' });
      const problems = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('roombox') && !/is not a directory|Failed to resolve unit specifiers/.test(l));
      assert.deepEqual(problems, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const script of ['tryboot-guard', 'reboot-on-request']) assert.equal(statSync(join(OVERLAY, 'usr', 'lib', 'roombox', script)).mode & 0o111, 0o111, `${script} is executable`);
  });

  it('the request the firmware writes is the file the path unit watches, and the firmware may write what an update needs', () => {
    const path = readFileSync(join(UNITS, 'roombox-reboot.path'), 'utf8');
    assert.match(path, /^PathExists=\/var\/lib\/roombox\/update\/reboot-request$/m);
    const service = readFileSync(join(UNITS, 'roombox.service'), 'utf8');
    assert.match(service, /^Environment=ROOMBOX_DATA_DIR=\/var\/lib\/roombox$/m, 'the state dir defaults to <data dir>/update');
    assert.match(service, /^ReadWritePaths=.*-\/boot\/autoboot/m);
    assert.match(service, /^SupplementaryGroups=.*\broombox-slots\b/m);
    assert.match(service, /^NoNewPrivileges=yes$/m, 'no privilege to escalate: the reboot goes through the path unit');
    const udev = readFileSync(join(OVERLAY, 'etc', 'udev', 'rules.d', '60-roombox.rules'), 'utf8');
    assert.match(udev, /^SUBSYSTEM=="block", KERNEL=="mmcblk0p\[2356\]", GROUP="roombox-slots", MODE="0660"$/m);
  });
});
