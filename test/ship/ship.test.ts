import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/box-process.js';

// One file, run in order: the bundle is built twice (reproducibility) and then reused by every
// later step. Needs the cross toolchain, qemu-user-static, mtools, debugfs (scripts/install-system-deps).
const work = mkdtempSync(join(tmpdir(), 'roombox-ship-'));
const sh = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r.stdout;
};
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
let bundle = '';
let nodeRoot = '';

// Builds and a qemu boot take minutes, more on a busy machine: the suite's own bound is the whole
// run's, and the runner's per-file bound (TEST_FILE_TIMEOUT_S) is the one that normally applies.
describe('release bundle, image and flashing', { concurrency: false, timeout: 3_600_000 }, () => {
  before(() => {
    nodeRoot = join(work, 'node-root');
    sh('scripts/arm64-sysroot', [nodeRoot, 'trixie', '--with-deps', 'nodejs', 'libasound2t64']);
    // Fetch the bundle's own sysroot once, before two builds want it at the same time.
    sh('scripts/arm64-sysroot', [join(work, 'alsa-root'), 'bookworm', 'libasound2', 'libasound2-dev']);
  }, { timeout: 180_000 });
  after(() => rmSync(work, { recursive: true, force: true }), { timeout: 180_000 });

  it('builds the same bundle twice, byte for byte, with AArch64 addons only', async () => {
    // Two builds at once, in different folders: the result may depend on neither.
    const build = (name: string) =>
      promisify(execFile)('scripts/build-bundle', ['--out', join(work, name)], {
        cwd: ROOT,
        env: { ...process.env, BUNDLE_STAGE: join(work, `stage-${name}`) },
        maxBuffer: 64 << 20,
      }).then((r) => r.stdout.trim());
    const [first, second] = await Promise.all([build('a'), build('b')]);
    assert.equal(first.split('/').pop(), `roombox-${version}-linux-arm64.tar.gz`);
    const hash = (f: string) => readFileSync(`${f}.sha256`, 'utf8').split(' ')[0];
    assert.equal(hash(first), hash(second));
    assert.equal(sh('sha256sum', [first]).split(' ')[0], hash(first));
    bundle = first;
    const listing = sh('tar', ['-tvzf', bundle]);
    assert.match(listing, /roombox\/dist\/firmware\/main\.js/);
    assert.doesNotMatch(listing, /roombox\/test\//, 'tests are not shipped');
    for (const line of listing.split('\n').filter(Boolean)) assert.match(line, / (root\/root|0\/0) /, line);
    const x = join(work, 'x');
    execFileSync('mkdir', ['-p', x]);
    execFileSync('tar', ['-xzf', bundle, '-C', x]);
    const addons = sh('find', [join(x, 'roombox', 'node_modules'), '-name', '*.node']).trim().split('\n');
    assert.ok(addons.length >= 6);
    for (const a of addons) assert.match(sh('file', ['-b', a]), /ARM aarch64/, a);
    const cdev = join(x, 'roombox', 'dist', 'firmware', 'hal', 'gpio', 'cdev', 'build', 'Release', 'gpio_cdev.node');
    assert.match(sh('file', ['-b', cdev]), /ARM aarch64/, 'the GPIO character-device addon is built for AArch64');
    assert.doesNotMatch(listing, /gpio_cdev\.c|roombox\/(dist\/)?firmware\/hal\/gpio\/cdev\/binding\.gyp/, 'its source is not shipped');
  });

  it("loads every native addon under Debian's arm64 Node (qemu-aarch64-static)", () => {
    const x = join(work, 'x', 'roombox', 'node_modules');
    const script = `for (const m of ['sqlite3','i2c-bus','onoff','alsa-capture','unix-dgram','serialport']) { require(${JSON.stringify(x)} + '/' + m); }
      const sqlite3 = require(${JSON.stringify(x)} + '/sqlite3');
      const db = new sqlite3.Database(':memory:');
      db.get('select sqlite_version() as v', (e, r) => { console.log(process.arch, process.version, r.v); });`;
    const out = sh('qemu-aarch64-static', ['-L', nodeRoot, join(nodeRoot, 'usr/bin/node'), '-e', script]);
    assert.match(out, /^arm64 v20\.\d+\.\d+ 3\.\d+/);
    // The project's own GPIO addon, loaded the way the firmware loads it. qemu-user passes no GPIO
    // ioctls through (ENOSYS), so here it proves loading and linking; the kernel test is under qemu-system.
    const dist = join(work, 'x', 'roombox', 'dist', 'firmware', 'hal', 'gpio', 'cdev');
    const esm = `const { cdevAddon } = await import(${JSON.stringify(join(dist, 'addon.js'))});
      const a = cdevAddon();
      console.log(process.arch, Object.keys(a).sort().join(','), a.constants.LINE_FLAG_OUTPUT, a.constants.LINES_MAX);`;
    const gpio = sh('qemu-aarch64-static', ['-L', nodeRoot, join(nodeRoot, 'usr/bin/node'), '--input-type=module', '-e', esm]);
    assert.equal(gpio.trim(), 'arm64 chipInfo,closeFd,constants,getValues,lineInfo,openChip,requestLines,setValues,unwatch,watch 8 64');
  });

  it("drives a real kernel GPIO chip through the bundle's addon: qemu virt's PL061 under qemu-system-aarch64", async () => {
    // Debian's arm64 kernel has the PL061 driver built in: a real chip, real ioctls, real edge
    // interrupts (qemu's power button pulses line 3). gpio-sim with the firmware is test/hil.
    const vm = join(work, 'pl061');
    const root = join(vm, 'root');
    execFileSync('mkdir', ['-p', root]);
    sh('cp', ['-a', `${nodeRoot}/.`, root]);
    sh('scripts/arm64-sysroot', [root, 'trixie', 'busybox-static']);
    const vmlinuz = sh('scripts/arm64-kernel', [join(vm, 'kernel'), 'trixie']).trim();
    for (const d of ['opt', 'proc', 'sys', 'dev', 'tmp']) execFileSync('mkdir', ['-p', join(root, d)]);
    sh('tar', ['-xzf', bundle, '-C', join(root, 'opt')]);
    sh('cp', [join(ROOT, 'test/ship/gpio-pl061-guest.mjs'), join(root, 'guest.mjs')]);
    writeFileSync(
      join(root, 'init'),
      '#!/usr/bin/busybox sh\n/usr/bin/busybox --install -s /usr/bin\nexport PATH=/usr/bin:/usr/sbin\n' +
        'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev\n/usr/bin/node /guest.mjs\necho "guest exit $?"\npoweroff -f\n',
      { mode: 0o755 },
    );
    sh('sh', ['-c', `cd '${root}' && find . | LC_ALL=C sort | cpio -o -H newc --quiet > ../initrd.cpio`]);
    const monitor = join(vm, 'mon.sock');
    const qemu = spawn('qemu-system-aarch64', ['-M', 'virt', '-cpu', 'cortex-a72', '-smp', '2', '-m', '1024', '-nographic', '-no-reboot', '-nic', 'none',
      '-kernel', vmlinuz, '-initrd', join(vm, 'initrd.cpio'), '-append', 'console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=3',
      '-monitor', `unix:${monitor},server,nowait`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const waiters: (() => void)[] = [];
    const onData = (d: Buffer) => {
      text += d;
      waiters.splice(0).forEach((w) => w());
    };
    qemu.stdout.on('data', onData);
    qemu.stderr.on('data', onData);
    const exited = new Promise((r) => qemu.once('exit', r));
    const waitFor = async (re: RegExp, ms: number) => {
      const deadline = Date.now() + ms;
      while (!re.test(text)) {
        if (qemu.exitCode !== null || Date.now() > deadline) throw new Error(`no ${re} from the guest; console: ${text.slice(-2000)}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), exited, new Promise((r) => setTimeout(r, 1000))]);
      }
    };
    try {
      await waitFor(/READY-FOR-EDGE|GUEST-ERROR/, 300_000);
      assert.doesNotMatch(text, /GUEST-ERROR/, text.slice(-2000));
      await new Promise<void>((resolve, reject) => {
        const s = connect(monitor, () => s.end('system_powerdown\n'));
        s.on('error', reject).on('close', () => resolve());
        s.resume();
      });
      await waitFor(/GUEST-DONE|GUEST-ERROR/, 120_000);
      assert.doesNotMatch(text, /GUEST-ERROR/, text.slice(-2000));
    } finally {
      qemu.kill('SIGTERM');
      await exited;
    }
    const result = (key: string) => JSON.parse(new RegExp(`^RESULT ${key} (.*)$`, 'm').exec(text)![1]!.trim());
    assert.deepEqual(result('chips'), ['/dev/gpiochip0']);
    assert.deepEqual(result('info'), { path: '/dev/gpiochip0', name: 'gpiochip0', label: '9030000.pl061', lines: 8 });
    assert.deepEqual([result('line0').consumer, result('line0').used, result('line0').direction], ['roombox', true, 'out'], 'the kernel shows our consumer label');
    assert.deepEqual(result('get-at-request'), [1], 'the output level was set by the request itself');
    assert.deepEqual(result('get-after-set'), [0]);
    assert.deepEqual(result('busy'), ['GpioLineBusyError', 'EBUSY', "GPIO line 0 on gpiochip0 [9030000.pl061] is busy: held by 'roombox' (free it, or fix the profile's line)"]);
    assert.match(result('offset')[2], /line 8 not found: gpiochip0 \[9030000\.pl061\] has lines 0-7/);
    assert.equal(result('line0-released'), false);
    assert.match(result('bcm')[2], /BCM number needs the SoC's chip .* the chips here are gpiochip0 \[9030000\.pl061\]/);
    assert.match(result('name')[2], /'GPIO17' not found: no line has that name on gpiochip0/);
    assert.equal(result('line3').edge, 'both');
    assert.deepEqual(result('edges'), [[3, 'rising', 1, 1], [3, 'falling', 0, 2]], 'both edges of the button pulse, from the kernel through uv_poll');
    const pulse = result('pulse-ms') as number;
    assert.ok(pulse > 50 && pulse < 1000, `qemu's 100 ms pulse measured by kernel timestamps: ${pulse} ms`);
  });

  it('writes the bundle, overlay, Node and the enabled unit into both slots of an A/B card and leaves the rest of the base alone', () => {
    const base = join(work, 'base.img');
    sh('test/ship/make-base-image.sh', [base]);
    const out = join(work, 'roombox.img');
    const printed = sh('scripts/build-image', ['--base', base, '--bundle', bundle, '--out', out, '--board', 'iqaudio-digiamp-plus']);
    assert.equal(printed.trim().split(' ')[0], sh('sha256sum', [out]).split(' ')[0]);
    const table = JSON.parse(sh('sfdisk', ['-J', out])).partitiontable.partitions as { start: number; size: number }[];
    const part = (i: number, name: string) => {
      const f = join(work, name);
      sh('dd', [`if=${out}`, `of=${f}`, 'bs=512', `skip=${table[i]!.start}`, `count=${table[i]!.size}`, 'status=none']);
      return f;
    };
    // Partitions 1 autoboot, 2 and 3 boot A/B, 4 extended, 5 and 6 root A/B, 7 data.
    const autoboot = part(0, 'autoboot.img');
    const root = part(4, 'root.img');
    const boot = part(1, 'boot.img');
    assert.deepEqual(readFileSync(part(5, 'root-b.img')), readFileSync(root), 'slot B has the same root');
    const stat = (p: string) => sh('debugfs', ['-R', `stat ${p}`, root]);
    const cat = (p: string) => sh('debugfs', ['-R', `cat ${p}`, root]);
    assert.match(stat('/opt/roombox/dist/firmware/main.js'), /Type: regular\s+Mode:\s+0644[\s\S]*User:\s+0\s+Group:\s+0/);
    assert.match(stat('/usr/bin/node'), /Type: regular\s+Mode:\s+0755/);
    assert.match(stat('/opt/roombox/node_modules/sqlite3/build/Release/node_sqlite3.node'), /Type: regular/);
    assert.equal(cat('/etc/systemd/system/roombox.service'), readFileSync(join(ROOT, 'rootfs-overlay/etc/systemd/system/roombox.service'), 'utf8'));
    assert.match(stat('/etc/systemd/system/multi-user.target.wants/roombox.service'), /Type: symlink[\s\S]*Fast link dest: "\/etc\/systemd\/system\/roombox\.service"/);
    assert.match(stat('/etc/systemd/system/serial-getty@ttyAMA0.service'), /Fast link dest: "\/dev\/null"/);
    assert.match(stat('/etc/systemd/journald.conf.d/roombox.conf'), /Mode:\s+0644/);
    assert.equal(cat('/home/pi/.bashrc'), 'alias ll="ls -l"\n', 'files of the base are untouched');
    assert.match(stat('/home/pi'), /Mode:\s+0700/);
    assert.match(cat('/etc/os-release'), /trixie/);
    assert.doesNotMatch(sh('debugfs', ['-R', 'ls -l /etc', root]), /\s\.updated\s/, "the base's /etc/.updated is gone: systemd-sysusers runs on the next boot");
    assert.match(cat('/usr/lib/sysusers.d/roombox.conf'), /^u roombox /m);
    spawnSync('e2fsck', ['-fn', root], { stdio: 'ignore' });
    assert.equal(spawnSync('e2fsck', ['-fn', root], { stdio: 'ignore' }).status, 0, 'the root file system is clean');
    const mtype = (f: string, fat = boot) => sh('mtype', ['-i', fat, `::${f}`], { MTOOLS_SKIP_CHECK: '1' });
    const config = mtype('config.txt');
    assert.match(config, /^# Raspberry Pi config\narm_64bit=1\ndtoverlay=vc4-kms-v3d\n/, 'the original config.txt is kept');
    assert.match(config, /^include roombox-config\.txt$/m);
    const bootConfig = mtype('roombox-config.txt');
    assert.match(bootConfig, /^dtparam=i2c_arm=on$/m);
    assert.match(bootConfig, /^gpio=22=op,dl$/m, "the chosen board's mute line is held from power-on");
    assert.match(bootConfig, /^#gpio=4=op,dl$/m, 'other boards stay commented out');
    assert.match(mtype('roombox.env', autoboot), /#ROOMBOX_MQTT_URL=/);
    const cmdline = mtype('cmdline.txt');
    assert.doesNotMatch(cmdline, /console=serial0/);
    assert.match(cmdline, /^console=tty1 rootfstype=ext4 fsck\.repair=yes rootwait root=PARTUUID=726f6f6d-05 roombox\.slot=a$/m);
    // A second run over the result changes nothing a box owner set.
    writeFileSync(join(work, 'roombox.env'), 'ROOMBOX_ID=kitchen\n');
    sh('mcopy', ['-o', '-i', autoboot, join(work, 'roombox.env'), '::roombox.env'], { MTOOLS_SKIP_CHECK: '1' });
    sh('dd', [`if=${autoboot}`, `of=${out}`, 'bs=512', `seek=${table[0]!.start}`, 'conv=notrunc', 'status=none']);
    sh('scripts/build-image', ['--base', out, '--bundle', bundle, '--out', join(work, 'again.img')]);
    const again = join(work, 'autoboot2.img');
    sh('dd', [`if=${join(work, 'again.img')}`, `of=${again}`, 'bs=512', `skip=${table[0]!.start}`, `count=${table[0]!.size}`, 'status=none']);
    assert.equal(sh('mtype', ['-i', again, '::roombox.env'], { MTOOLS_SKIP_CHECK: '1' }), 'ROOMBOX_ID=kitchen\n');
    const againBoot = join(work, 'boot2.img');
    sh('dd', [`if=${join(work, 'again.img')}`, `of=${againBoot}`, 'bs=512', `skip=${table[1]!.start}`, `count=${table[1]!.size}`, 'status=none']);
    assert.equal(sh('mtype', ['-i', againBoot, '::config.txt'], { MTOOLS_SKIP_CHECK: '1' }).match(/include roombox-config/g)!.length, 1);
  });

  it('flashes onto a file and verifies, and refuses a target that is too small or mounted', () => {
    const image = join(work, 'small.img');
    writeFileSync(image, Buffer.alloc(3 * 1024 * 1024, 7));
    const target = join(work, 'card.bin');
    writeFileSync(target, '');
    const ok = spawnSync('scripts/flash', ['--image', image, '--device', target], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /verified/);
    assert.deepEqual(readFileSync(target), readFileSync(image));
    const small = join(work, 'small-card.bin');
    writeFileSync(small, Buffer.alloc(1024 * 1024));
    const tooSmall = spawnSync('scripts/flash', ['--image', image, '--device', small], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(tooSmall.status, 1);
    assert.match(tooSmall.stderr, /refusing: .* smaller than the image/);
    assert.equal(statSync(small).size, 1024 * 1024, 'nothing written');
    assert.ok(readFileSync(small).every((b) => b === 0));
    const missing = spawnSync('scripts/flash', ['--image', image, '--device', join(work, 'nope')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /not found/);
    // The root file system's device is mounted on every machine: flash must refuse it.
    const rootDev = execFileSync('findmnt', ['-nro', 'SOURCE', '/'], { encoding: 'utf8' }).trim();
    if (rootDev.startsWith('/dev/') && existsSync(rootDev)) {
      const mounted = spawnSync('scripts/flash', ['--image', image, '--device', rootDev], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(mounted.status, 1);
      assert.match(mounted.stderr, /refusing/);
    }
  });

  it('ships a unit file that systemd-analyze accepts', (t) => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) return t.skip('systemd-analyze not installed');
    const dir = join(work, 'unit');
    execFileSync('mkdir', ['-p', dir]);
    const unit = readFileSync(join(ROOT, 'rootfs-overlay/etc/systemd/system/roombox.service'), 'utf8');
    // verify wants ExecStart's binary to exist; point it at this machine's node.
    writeFileSync(join(dir, 'roombox.service'), unit.replace('/usr/bin/node', process.execPath));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'roombox.service')], { encoding: 'utf8' });
    const problems = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('roombox.service') && !/Unit .* not found|is not a directory|Failed to resolve unit specifiers/.test(l));
    assert.deepEqual(problems, []);
    for (const k of ['Type=notify', 'WatchdogSec=', 'Restart=always', 'EnvironmentFile=-/boot/firmware/roombox.env', 'User=roombox', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/roombox', 'PrivateTmp=yes', 'ProtectHome=yes', 'UV_THREADPOOL_SIZE=', 'RestartPreventExitStatus=78']) {
      assert.ok(unit.includes(k), k);
    }
    assert.ok(readdirSync(join(ROOT, 'rootfs-overlay/usr/lib/sysusers.d')).includes('roombox.conf'));
    // roombox.env (EnvironmentFile=) wins over systemd's own variables; the ExecStart line puts
    // systemd's back. Run it as systemd would after merging a hostile env file: Node must see the
    // manager's notify socket and the unit's watchdog, and no foreign WATCHDOG_PID.
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(/\s+/);
    const nodeAt = exec.indexOf('/usr/bin/node');
    assert.ok(nodeAt > 0, 'ExecStart runs node through env(1)');
    const watchdogSec = Number(/^WatchdogSec=(\d+)$/m.exec(unit)![1]);
    const probe = 'console.log(JSON.stringify([process.env.NOTIFY_SOCKET, process.env.WATCHDOG_USEC, process.env.WATCHDOG_PID ?? null, process.env.ROOMBOX_ID]))';
    const seen = execFileSync(exec[0]!, [...exec.slice(1, nodeAt), process.execPath, '-e', probe], {
      env: { PATH: process.env.PATH, NOTIFY_SOCKET: '/tmp/elsewhere', WATCHDOG_USEC: '1', WATCHDOG_PID: '1', ROOMBOX_ID: 'kitchen' },
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(seen), ['/run/systemd/notify', String(watchdogSec * 1_000_000), null, 'kitchen']);
  });

  it('boots on arm64 Debian 13 under qemu-system-aarch64 and comes online on a broker on the host', async () => {
    const broker = await new Mosquitto().start();
    const probe = await MqttProbe.connect(broker.url, ['roombox/qemubox/#', 'homeassistant/device/qemubox/config']);
    const env = join(work, 'vm.env');
    writeFileSync(env, `ROOMBOX_MQTT_URL=mqtt://10.0.2.2:${broker.port}\nROOMBOX_ID=qemubox\nROOMBOX_CONSOLE=off\nROOMBOX_DATA_DIR=/var/lib/roombox\nROOMBOX_TELEMETRY_S=5\n`);
    const vm = spawn('scripts/qemu-boot-box', ['--bundle', bundle, '--env', env, '--work', join(work, 'vm'), '--timeout', '600'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let consoleLog = '';
    vm.stdout.on('data', (d) => (consoleLog += d));
    vm.stderr.on('data', (d) => (consoleLog += d));
    try {
      await probe.waitFor((m) => m.topic === 'roombox/qemubox/status' && m.payload === 'online', 480_000, `online from the VM; console: ${consoleLog.slice(-1500)}`);
      const info = JSON.parse((await probe.waitFor((m) => m.topic === 'roombox/qemubox/info')).payload);
      assert.equal(info.board, 'sim');
      const discovery = JSON.parse((await probe.waitFor((m) => m.topic === 'homeassistant/device/qemubox/config')).payload);
      assert.deepEqual(discovery.dev.identifiers, ['roombox_qemubox']);
      await probe.waitFor((m) => m.topic === 'roombox/qemubox/zone/living/state', 60_000);
      await probe.publish('roombox/qemubox/zone/living/volume/set', '40');
      const state = await probe.waitFor((m) => m.topic === 'roombox/qemubox/zone/living/state' && JSON.parse(m.payload).volume === 40, 120_000, 'the volume command answered');
      assert.equal(JSON.parse(state.payload).volume_db, -36);
      assert.match(consoleLog, /roombox-vm: network inet 10\.0\.2\.15/);
    } finally {
      vm.kill('SIGTERM');
      await new Promise((r) => vm.once('exit', r));
      await probe.close();
      await broker.dispose();
    }
  });
});
