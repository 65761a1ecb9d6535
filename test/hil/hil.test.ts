import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { GuestVm } from './vm.js';
import { eventually } from '../helpers/wait.js';

// Hardware in the loop: the firmware of the arm64 bundle on Debian 13's arm64 kernel under
// qemu-system-aarch64, against real kernel drivers: gpio-sim (GPIO, both backends), i2c-stub
// (I2C) and snd-aloop (ALSA playback and capture), reporting to a mosquitto on this machine.
// gpio-sim and i2c-stub are not in Debian's kernel: scripts/build-test-modules builds them.
// Needs what scripts/install-system-deps installs. Slow (software emulation): docs/hil.md.

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r.stdout.trim();
};

const ID = 'hil';
const P = `roombox/${ID}`;
/** The board profile's lines (BCM numbers; the chip names them GPIO<n>). */
const LIVING = { enable: 17, mute: 22, muted: 0 } as const;
const KITCHEN = { enable: 5, mute: 6, muted: 1, fault: 13 } as const;
const PCM = 0x4c;
const TONE_DBFS = -12;

const work = mkdtempSync(join(tmpdir(), 'roombox-hil-'));
// The kernel is unpacked once and kept, like scripts/test-image-boot's; the rest is per run.
const kernelDir = join(process.env.ROOMBOX_HIL_WORK ?? '/var/tmp/roombox-hil', 'kernel');
let broker: Mosquitto;
let probe: MqttProbe;
let vm: GuestVm;
let base = 0;
let bus = 0;
let chip = '';

const t0 = Date.now();
/** Where the time goes (printed, not asserted; figures in docs/hil.md). */
const lap = (what: string) => console.log(`hil: ${what} at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const state = (m: Received) => JSON.parse(m.payload) as Record<string, unknown>;
const zoneState = (zone: string, since: number, pred: (s: Record<string, unknown>) => boolean, what: string, timeoutMs = 120_000) =>
  probe.waitFor((m, i) => i >= since && m.topic === `${P}/zone/${zone}/state` && pred(state(m)), timeoutMs, what).then(state);
const event = (since: number, pred: (e: Record<string, unknown>) => boolean, what: string, timeoutMs = 120_000) =>
  probe.waitFor((m, i) => i >= since && m.topic === `${P}/event` && pred(state(m)), timeoutMs, what).then(state);

/** Physical levels of gpio-sim lines, read from its sysfs `value` attributes. */
async function levels(lines: number[]): Promise<Map<number, number>> {
  const out = await vm.ok(`for n in ${lines.join(' ')}; do echo "L$n=$(cat /run/hil-sim/sim_gpio$n/value)"; done`);
  const map = new Map<number, number>();
  for (const m of out.matchAll(/L(\d+)=([01])/g)) map.set(Number(m[1]), Number(m[2]));
  assert.equal(map.size, lines.length, out);
  return map;
}

async function assertLevels(what: string, want: Record<number, number>): Promise<void> {
  const got = await levels(Object.keys(want).map(Number));
  assert.deepEqual(Object.fromEntries(got), Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v])), `${what}: gpio-sim line levels (line: level)`);
}

/** Every line set the kernel's gpiolib saw since the trace was cleared, in order (physical levels). */
async function traceSets(): Promise<{ line: number; value: number }[]> {
  const out = await vm.ok('cat /sys/kernel/tracing/trace');
  return [...out.matchAll(/gpio_value: (\d+) set (\d)/g)].map((m) => ({ line: Number(m[1]) - base, value: Number(m[2]) }));
}

/**
 * The pop-free rule on the kernel's record: every change of the enable line happens while the
 * mute line is at its muted level. Returns the enable changes seen.
 */
function enableChanges(sets: { line: number; value: number }[], z: { enable: number; mute: number; muted: number }, start: Map<number, number>): string[] {
  let enable = start.get(z.enable)!;
  let mute = start.get(z.mute)!;
  const changes: string[] = [];
  sets.forEach((s, i) => {
    if (s.line === z.mute) mute = s.value;
    if (s.line !== z.enable || s.value === enable) return;
    assert.equal(mute, z.muted, `GPIO${z.enable} (enable) went ${enable}->${s.value} at set #${i} while GPIO${z.mute} (mute) was not muted: ${JSON.stringify(sets)}`);
    changes.push(`${enable}->${s.value}`);
    enable = s.value;
  });
  return changes;
}

/** i2c-stub's register of the PCM512x-class chip on the given page (the page is put back to 0). */
async function pcmReg(reg: number, page = 0): Promise<number> {
  const out = await vm.ok(`i2cset -y ${bus} ${hex(PCM)} 0x00 ${page} && echo "R=$(i2cget -y ${bus} ${hex(PCM)} ${hex(reg)})"; i2cset -y ${bus} ${hex(PCM)} 0x00 0`);
  const m = /R=(0x[0-9a-f]{2})/.exec(out);
  assert.ok(m, out);
  return Number(m[1]);
}

/** Starts the firmware in the guest; its exit status shows on the console as @@box-exit:<run>:<code>. */
async function startBox(run: string, backend: string): Promise<number> {
  const since = probe.messages.length;
  await vm.ok('echo > /sys/kernel/tracing/trace');
  await vm.ok(
    `( set -a; . /etc/roombox.env; ROOMBOX_GPIO=${backend}; ROOMBOX_DATA_DIR=/var/lib/roombox/${run}; mkdir -p $ROOMBOX_DATA_DIR; ` +
      `/usr/bin/node /opt/roombox/dist/firmware/main.js run > /tmp/box-${run}.log 2>&1 & echo $! > /run/box.pid; wait $!; echo "@@box-exit:${run}:$?" ) > /dev/console 2>&1 & echo started`,
  );
  await probe.waitFor((m, i) => i >= since && m.topic === `${P}/status` && m.payload === 'online', 240_000, `the box (${run}) online`).catch(async (err) => {
    throw new Error(`${(err as Error).message}\n--- box log ---\n${(await vm.sh(`tail -40 /tmp/box-${run}.log`)).out}`);
  });
  return since;
}

async function stopBox(run: string): Promise<void> {
  const from = vm.mark;
  const since = probe.messages.length;
  await vm.ok('kill -TERM $(cat /run/box.pid)');
  const exit = await vm.waitFor(new RegExp(`@@box-exit:${run}:(\\d+)`), 60_000, `the box (${run}) to exit on SIGTERM`, from);
  assert.equal(exit[1], '0', `exit status on SIGTERM; log:\n${(await vm.sh(`tail -20 /tmp/box-${run}.log`)).out}`);
  await probe.waitFor((m, i) => i >= since && m.topic === `${P}/status` && m.payload === 'offline', 30_000, 'offline after SIGTERM');
}

/** Plays the tone into the loopback's playback side (device 0, subdevice 0) until stopTone. */
const playTone = () =>
  vm.ok('( while cat /opt/hil/tone.raw; do :; done | aplay -q -D hw:CARD=Loopback,DEV=0,SUBDEV=0 -t raw -f S16_LE -r 48000 -c 2 ) > /dev/console 2>&1 & echo started');
const stopTone = () => vm.ok('kill $(pidof aplay)');

/**
 * One run of the GPIO part; a run that fails leaves the guest as the next run expects it: no
 * player, no box, no sysfs line exported.
 */
async function gpioRun(run: string, backend: string, extra: { i2c?: boolean; capture?: boolean } = {}): Promise<void> {
  const from = vm.mark;
  try {
    await gpioSteps(run, backend, extra);
  } catch (err) {
    await vm.sh('kill $(pidof aplay); kill -TERM $(cat /run/box.pid)').catch(() => {});
    await vm.waitFor(new RegExp(`@@box-exit:${run}:`), 60_000, `the failed run's box (${run}) to exit`, from).catch(() => {});
    await vm.sh('for g in /sys/class/gpio/gpio[0-9]*; do echo ${g##*/gpio} > /sys/class/gpio/unexport; done').catch(() => {});
    throw err;
  }
}

/** The GPIO part, the same for both backends: power-up, volume, standby, fault and SIGTERM. */
async function gpioSteps(run: string, backend: string, extra: { i2c?: boolean; capture?: boolean }): Promise<void> {
  const start = await levels([LIVING.enable, LIVING.mute, KITCHEN.enable, KITCHEN.mute]);
  let since = await startBox(run, backend);
  lap(`${run}: box online`);
  const up = await zoneState('living', since, (s) => s.power === 'standby', 'living in standby after start');
  assert.equal(up.fault, false);
  await assertLevels('after start', { [LIVING.enable]: 0, [LIVING.mute]: LIVING.muted, [KITCHEN.enable]: 0, [KITCHEN.mute]: KITCHEN.muted });
  // The backend asked for is the one in use, on the gpio-sim chip, the lines found by name.
  const gpio = await probe.request<{ backend: string; chips: string[]; lines: { line: string; where: string }[] }>(P, 'gpio', 60_000);
  assert.ok(gpio.data.backend.startsWith(`${backend} `), gpio.output);
  assert.deepEqual(gpio.data.chips, [backend === 'cdev' ? `${chip} [pinctrl-bcm2711]` : `[pinctrl-bcm2711 base ${base}]`], gpio.output);
  assert.ok(gpio.data.lines.some((l) => l.line === 'GPIO17' && l.where.includes('line 17')), gpio.output);

  if (extra.i2c) {
    // A profile address with nothing behind it: the typed error, a zone fault, and the box goes on.
    const fault = await event(since, (e) => e.type === 'amp_fault' && e.zone === 'garden', 'amp_fault of the garden zone');
    assert.deepEqual({ cause: (fault.detail as Record<string, unknown>).cause, chip: (fault.detail as Record<string, unknown>).chip }, { cause: 'chip', chip: 'tpa2016' });
    assert.match(String((fault.detail as Record<string, unknown>).error), /^no answer from I2C 0x58 on bus \d+ \(ENODEV\)/);
    await zoneState('garden', since, (s) => s.fault === true, 'garden state with fault');
  }

  // Power-up by playback: snd-aloop's real /proc/asound status (RUNNING, hw_ptr advancing).
  since = probe.messages.length;
  await playTone();
  const on = await zoneState('living', since, (s) => s.power === 'on' && s.playing === true, 'living powered up by playback');
  assert.equal(on.mode, 'auto');
  await assertLevels('playing', { [LIVING.enable]: 1, [LIVING.mute]: 1 - LIVING.muted });
  const hwPtr = async () => {
    const status = await vm.ok('cat /proc/asound/Loopback/pcm0p/sub0/status');
    assert.match(status, /state: RUNNING/);
    return Number(/hw_ptr\s*:\s*(\d+)/.exec(status)![1]);
  };

  if (extra.capture) {
    // The box captures the loopback's other side (device 1) with alsa-capture and meters the tone.
    const sinceLevels = probe.messages.length;
    const windows: { peak: number[]; rms: number[] }[] = [];
    let skip = 2; // a window where the tone begins may hold only part of a period
    await probe.waitFor(
      (m, i) => {
        if (i < sinceLevels || m.topic !== `${P}/input/line/levels`) return false;
        const l = JSON.parse(m.payload) as { peak_dbfs: number[]; rms_dbfs: number[] };
        if (Math.max(...l.peak_dbfs) > -40 && skip-- <= 0) windows.push({ peak: l.peak_dbfs, rms: l.rms_dbfs });
        return windows.length >= 10;
      },
      60_000,
      'ten level reports with the tone',
    );
    for (const w of windows) for (const p of w.peak) assert.ok(Math.abs(p - TONE_DBFS) <= 0.1, `peak ${p} dBFS, want ${TONE_DBFS} within 0.1 dB: ${JSON.stringify(windows)}`);
    const rms = windows.at(-1)!.rms;
    console.log(`snd-aloop capture: peak ${windows.map((w) => w.peak.join('/')).join(', ')} dBFS; rms ${rms.join('/')} dBFS`);
    const input = await probe.waitFor((m) => m.topic === `${P}/input/line/state`, 1000, 'input state').then(state);
    assert.equal(input.pcm, 'plughw:CARD=Loopback,DEV=1');
  }

  // Volume change while on: the chip's registers through i2c-bus, read back from i2c-stub.
  since = probe.messages.length;
  await probe.publish(`${P}/zone/living/volume/set`, '60');
  const vol = await zoneState('living', since, (s) => s.volume === 60, 'volume 60 applied');
  assert.equal(vol.volume_db, -24);
  await assertLevels('after the volume change', { [LIVING.enable]: 1, [LIVING.mute]: 1 - LIVING.muted });
  // Moving: hw_ptr changes between two looks. (Compared with a look from before the volume change,
  // a starved guest's aplay may have under-run and restarted the stream from 0 meanwhile.)
  const looked = await hwPtr();
  await eventually(
    async () => {
      if ((await hwPtr()) === looked) throw new Error(`hw_ptr still ${looked}`);
    },
    { timeoutMs: 30_000, what: 'the stream the zone follows is moving', retryMs: 200 },
  );
  if (extra.i2c) {
    // PCM512x: dB = 24 - 0.5 x register, so -24 dB is 0x60, on page 0.
    assert.equal(await pcmReg(0x3d), 0x60, 'left digital volume');
    assert.equal(await pcmReg(0x3e), 0x60, 'right digital volume');
    assert.equal(await pcmReg(0x02), 0x00, 'out of standby');
    assert.equal(await pcmReg(0x03), 0x00, 'soft mute released');
    assert.equal(await pcmReg(0x3d, 1), 0xaa, 'page 1 untouched: the driver selected page 0 first');
    console.log('PASS i2c-stub');
  }

  // Playback stops: standby after ROOMBOX_AMP_IDLE_S.
  since = probe.messages.length;
  await stopTone();
  await zoneState('living', since, (s) => s.playing === false, 'playing false after aplay stopped');
  const standby = await zoneState('living', since, (s) => s.power === 'standby', 'living back in standby after the idle time');
  assert.equal(standby.mode, 'auto');
  await assertLevels('standby', { [LIVING.enable]: 0, [LIVING.mute]: LIVING.muted });
  if (extra.i2c) {
    assert.equal(await pcmReg(0x02), 0x10, 'chip in standby');
    assert.equal(await pcmReg(0x03), 0x11, 'both channels soft-muted');
    console.log('PASS snd-aloop playback');
  }
  if (extra.capture) {
    // The card goes away, as an unplugged USB card would: snd-aloop unloaded once playback stopped.
    since = probe.messages.length;
    // While the box captures, the kernel refuses rmmod (an open stream holds the module): the
    // card is disconnected first, as an unplug does; the box closes its stream, then rmmod works.
    const busy = await vm.sh('rmmod snd_aloop');
    assert.notEqual(busy.code, 0, 'rmmod refused while the capture is open');
    await vm.ok('echo snd_aloop.0 > /sys/bus/platform/drivers/snd_aloop/unbind && rmmod snd_aloop', 120_000);
    await event(since, (e) => e.type === 'input_absent' && e.input === 'line', 'input_absent after rmmod');
    const absent = await probe.waitFor((m, i) => i >= since && m.topic === `${P}/input/line/state` && state(m).alarm === 'absent', 60_000, 'the absent alarm').then(state);
    assert.deepEqual({ present: absent.present, capturing: absent.capturing }, { present: false, capturing: false });
    console.log('PASS snd-aloop capture');
  }

  // Power on by command for the SIGTERM below; the kitchen amp on, then its fault line pulled low.
  since = probe.messages.length;
  await probe.publish(`${P}/zone/living/power/set`, 'ON');
  await probe.publish(`${P}/zone/kitchen/power/set`, 'ON');
  await zoneState('living', since, (s) => s.power === 'on', 'living on by command');
  await zoneState('kitchen', since, (s) => s.power === 'on', 'kitchen on by command');
  await assertLevels('both on', { [LIVING.enable]: 1, [LIVING.mute]: 1 - LIVING.muted, [KITCHEN.enable]: 1, [KITCHEN.mute]: 1 - KITCHEN.muted });

  since = probe.messages.length;
  await vm.ok(`echo pull-down > /run/hil-sim/sim_gpio${KITCHEN.fault}/pull`);
  const raised = await event(since, (e) => e.type === 'amp_fault' && e.zone === 'kitchen', 'amp_fault from the fault line');
  assert.deepEqual(raised.detail, { cause: 'line', line: KITCHEN.fault });
  await zoneState('kitchen', since, (s) => s.fault === true && s.power === 'off', 'kitchen off with fault');
  await assertLevels('kitchen fault', { [KITCHEN.enable]: 0, [KITCHEN.mute]: KITCHEN.muted });
  since = probe.messages.length;
  await vm.ok(`echo pull-up > /run/hil-sim/sim_gpio${KITCHEN.fault}/pull`);
  await event(since, (e) => e.type === 'amp_fault_cleared' && e.zone === 'kitchen', 'amp_fault_cleared when the line is released');
  const cleared = await zoneState('kitchen', since, (s) => s.fault === false, 'kitchen fault cleared');
  assert.equal(cleared.power, 'off', 'a cleared fault does not switch the amp back on');

  await stopBox(run);
  const safe = { [LIVING.enable]: 0, [LIVING.mute]: LIVING.muted, [KITCHEN.enable]: 0, [KITCHEN.mute]: KITCHEN.muted };
  // The sysfs backend leaves its lines driven; the character device gives them back when the
  // process ends, and gpio-sim then shows each line's pull, as a board's resistors would hold it.
  await assertLevels('after SIGTERM', safe);
  const sets = await traceSets();
  const last = new Map(start);
  for (const set of sets) last.set(set.line, set.value);
  assert.deepEqual(Object.fromEntries([...last].filter(([l]) => l in safe)), Object.fromEntries(Object.entries(safe)), 'the levels the box drove last, before it exited');
  // Up on playback, down on idle, up on command, down on SIGTERM; kitchen up, down on the fault.
  assert.deepEqual(enableChanges(sets, LIVING, start), ['0->1', '1->0', '0->1', '1->0'], 'living: every enable change muted');
  assert.deepEqual(enableChanges(sets, KITCHEN, start), ['0->1', '1->0'], 'kitchen: every enable change muted');
  console.log(`PASS gpio-sim (${backend})`);
  lap(`${run}: done`);
}

describe('hardware in the loop: real kernel drivers under qemu-system-aarch64', { concurrency: false, timeout: 2_300_000 }, () => {
  before(async () => {
    const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
      promisify(execFile)(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }).then((r) => r.stdout.trim());
    const [modules, bundle] = await Promise.all([
      run('scripts/build-test-modules', []),
      process.env.ROOMBOX_HIL_BUNDLE ?? run('scripts/build-bundle', ['--out', join(work, 'bundle')], { BUNDLE_STAGE: join(work, 'stage') }),
    ]);
    lap('modules and bundle');
    broker = await new Mosquitto().start();
    probe = await MqttProbe.connect(broker.url, [`${P}/#`]);
    // One second of a 1 kHz sine at -12 dBFS peak (a whole number of periods, so it loops cleanly).
    const tone = join(work, 'tone.raw');
    sh('sox', ['-D', '-n', '-r', '48000', '-c', '2', '-b', '16', '-e', 'signed-integer', '-t', 'raw', tone, 'synth', '1', 'sine', '1000', 'vol', `${TONE_DBFS}dB`]);
    const env = join(work, 'vm.env');
    writeFileSync(
      env,
      [`ROOMBOX_MQTT_URL=mqtt://10.0.2.2:${broker.port}`, `ROOMBOX_ID=${ID}`, 'ROOMBOX_BOARD=/opt/hil/board.json', 'ROOMBOX_CONSOLE=off', 'ROOMBOX_AMP_IDLE_S=2', 'ROOMBOX_TELEMETRY_S=600', ''].join('\n'),
    );
    vm = GuestVm.boot([
      '--bundle', bundle, '--env', env, '--work', join(work, 'vm'), '--kernel', kernelDir, '--timeout', '2200',
      '--package', 'alsa-utils',
      '--kmod', 'configfs', '--kmod', 'i2c-dev', '--kmod', 'snd-aloop',
      '--ko', join(modules, 'gpio-sim.ko'), '--ko', join(modules, 'i2c-stub.ko'),
      '--file', `${join(ROOT, 'test/hil/board.json')}:/opt/hil/board.json`,
      '--file', `${join(ROOT, 'test/hil/guest-setup.sh')}:/opt/hil/setup.sh`,
      '--file', `${tone}:/opt/hil/tone.raw`,
    ]);
    await vm.waitFor(/roombox-vm: control\n/, 600_000, 'the guest to boot');
    lap('guest booted');
    // Pull-ups: the open-drain fault line's, and one holding the kitchen amp's MUTE input high
    // (muted) while nothing drives it. Every other line reads low, as after reset.
    const ready = await vm.ok(`sh /opt/hil/setup.sh ${KITCHEN.fault} ${KITCHEN.mute}`);
    const m = /hil: ready chip=(\w+) base=(\d+) bus=(\d+)/.exec(ready);
    assert.ok(m, ready);
    chip = m[1]!;
    base = Number(m[2]);
    bus = Number(m[3]);
    lap('modules loaded, gpio-sim and i2c-stub set up');
  }, { timeout: 1_200_000 });

  after(async () => {
    await vm?.kill();
    await probe?.close();
    await broker?.dispose();
    rmSync(work, { recursive: true, force: true });
  }, { timeout: 120_000 });

  it('gpio-sim (sysfs), i2c-stub, snd-aloop playback: the box through power-up, volume, standby, fault and SIGTERM', { timeout: 600_000 }, async () => {
    await gpioRun('sysfs', 'sysfs', { i2c: true });
    // The sysfs backend leaves its lines exported, as after a crash: give them back for the next run.
    await vm.ok('for g in /sys/class/gpio/gpio[0-9]*; do echo ${g##*/gpio} > /sys/class/gpio/unexport; done');
  });

  it('gpio-sim (cdev), snd-aloop capture: the same through the GPIO character device, the tone metered, the card unloaded', { timeout: 600_000 }, async () => {
    await gpioRun('cdev', 'cdev', { capture: true });
  });
});
