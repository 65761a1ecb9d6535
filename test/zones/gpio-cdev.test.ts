import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setImmediate as checkPhase } from 'node:timers/promises';
import { join } from 'node:path';
import { cdevAddon, type RawEdgeEvent } from '../../firmware/hal/gpio/cdev/addon.js';
import { GpioChip, lineFlags, listChips, findLineByName } from '../../firmware/hal/gpio/cdev/chip.js';
import { CdevBinding } from '../../firmware/hal/gpio/cdev-binding.js';
import { chooseGpioBackend, createGpioBinding } from '../../firmware/hal/gpio/select-backend.js';
import { GpioChipNotFoundError, GpioConfigError, GpioLineNotFoundError } from '../../firmware/hal/gpio/errors.js';
import { sysfsChipOf } from '../../firmware/hal/gpio/sysfs-base.js';

// This machine has no GPIO chip (no /dev/gpiochip*, no gpio-sim): what runs here is the real addon
// on everything short of a chip: its errors, its argument checks, and its libuv event path fed
// through a FIFO with the kernel's event layout. The addon against real kernel chips (gpio-sim)
// is the hardware-in-the-loop test under qemu.
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })), { timeout: 120_000 });
/** Resolves after one whole poll phase of libuv's loop has run: the check phase twice. */
const afterPollPhase = async () => {
  await checkPhase();
  await checkPhase();
};
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'roombox-cdev-'));
  dirs.push(d);
  return d;
};

describe('GPIO character device: the addon', { timeout: 30_000 }, () => {
  it("loads and gives uAPI v2's constants from <linux/gpio.h>", () => {
    const c = cdevAddon().constants;
    assert.equal(c.LINE_FLAG_INPUT, 1 << 2);
    assert.equal(c.LINE_FLAG_OUTPUT, 1 << 3);
    assert.equal(c.LINE_FLAG_BIAS_PULL_UP, 1 << 8);
    assert.equal(c.LINES_MAX, 64);
    assert.equal(c.MAX_NAME_SIZE, 32);
  });

  it('no such chip, and a file that is not a chip, give GpioChipNotFoundError with the kernel code', () => {
    const dir = tmp();
    assert.throws(
      () => GpioChip.open(join(dir, 'gpiochip7')),
      (e: Error) => e instanceof GpioChipNotFoundError && e.code === 'ENOENT' && /gpiochip7 not found: no such device/.test(e.message),
    );
    assert.throws(() => GpioChip.open('/dev/null'), (e: Error) => e instanceof GpioChipNotFoundError && e.code === 'ENOTTY' && /not a GPIO chip/.test(e.message));
  });

  it('ioctls on a file descriptor that is not a GPIO request fail with errno, code and syscall', () => {
    const fd = openSync('/dev/null', 'r+');
    try {
      const a = cdevAddon();
      assert.throws(() => a.getValues(fd, 1), (e: NodeJS.ErrnoException) => e.code === 'ENOTTY' && e.errno === 25 && e.syscall === 'GPIO_V2_LINE_GET_VALUES_IOCTL');
      assert.throws(() => a.setValues(fd, [1]), (e: NodeJS.ErrnoException) => e.code === 'ENOTTY' && e.syscall === 'GPIO_V2_LINE_SET_VALUES_IOCTL');
      assert.throws(() => a.requestLines(fd, { offsets: [0], consumer: 'roombox', flags: 4 }), (e: NodeJS.ErrnoException) => e.code === 'ENOTTY');
    } finally {
      closeSync(fd);
    }
  });

  it('rejects bad arguments with a TypeError before any ioctl', () => {
    const a = cdevAddon();
    assert.throws(() => a.chipInfo(-1), /fd must be a whole number/);
    assert.throws(() => a.lineInfo(0, 1.5), /offset must be a whole number/);
    assert.throws(() => a.requestLines(0, { offsets: [], consumer: 'x', flags: 0 }), /1-64 line offsets/);
    assert.throws(() => a.requestLines(0, { offsets: new Array(65).fill(0), consumer: 'x', flags: 0 }), /1-64 line offsets/);
    assert.throws(() => a.requestLines(0, { offsets: [1, 2], consumer: 'x', flags: 8, outputValues: [1] }), /one 0 or 1 per offset/);
    assert.throws(() => a.requestLines(0, { offsets: [1], consumer: 'x', flags: 8, outputValues: [2] }), /one 0 or 1 per offset/);
    assert.throws(() => a.setValues(0, [3]), /values must be 0, 1 or null/);
    assert.throws(() => a.watch(0, 'no' as never), /callback must be a function/);
    assert.throws(() => a.unwatch({}), /handle must come from watch/);
  });

  it("edges: reads the kernel's gpio_v2_line_event records when libuv says the fd is readable", async () => {
    // A FIFO stands in for a line request's fd: the addon sees the same byte layout and the same
    // readiness, so this proves the uv_poll path and the decoding; the kernel producing them is HIL.
    const fifo = join(tmp(), 'events');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, 'r+');
    const a = cdevAddon();
    const batches: RawEdgeEvent[][] = [];
    let wake: () => void = () => {};
    const handle = a.watch(fd, (err, events) => {
      assert.equal(err, null);
      batches.push(events);
      wake();
    });
    const event = (ts: bigint, id: number, offset: number, seqno: number, lineSeqno: number) => {
      const b = Buffer.alloc(48);
      b.writeBigUInt64LE(ts, 0);
      b.writeUInt32LE(id, 8);
      b.writeUInt32LE(offset, 12);
      b.writeUInt32LE(seqno, 16);
      b.writeUInt32LE(lineSeqno, 20);
      return b;
    };
    const next = () => new Promise<void>((r) => (wake = r));
    try {
      let got = next();
      writeSync(fd, Buffer.concat([event(123456789012n, 1, 17, 1, 1), event(123456799012n, 2, 17, 2, 2)]));
      await got;
      assert.deepEqual(batches.flat(), [
        { offset: 17, edge: 'rising', timestampNs: 123456789012n, seqno: 1, lineSeqno: 1 },
        { offset: 17, edge: 'falling', timestampNs: 123456799012n, seqno: 2, lineSeqno: 2 },
      ]);
      // 40 events at once: more than one read's worth, none lost, in order.
      batches.length = 0;
      got = next();
      writeSync(fd, Buffer.concat(Array.from({ length: 40 }, (_, i) => event(BigInt(i), (i % 2) + 1, 4, i + 3, i + 3))));
      while (batches.flat().length < 40) {
        await got;
        got = next();
      }
      assert.deepEqual(batches.flat().map((e) => e.seqno), Array.from({ length: 40 }, (_, i) => i + 3));
      a.unwatch(handle);
      a.unwatch(handle);
      // After unwatch nothing is delivered: after a whole poll phase the event is still unread.
      batches.length = 0;
      writeSync(fd, event(1n, 1, 9, 99, 99));
      await afterPollPhase();
      assert.deepEqual(batches, []);
      const b = Buffer.alloc(48);
      assert.equal(readSync(fd, b), 48);
      assert.equal(b.readUInt32LE(16), 99);
    } finally {
      a.unwatch(handle);
      closeSync(fd);
    }
  });
});

describe('GPIO character device: a request fd that fails', { timeout: 30_000 }, () => {
  it('delivers the error once and stops watching instead of spinning on a dead fd', async () => {
    // The other end of a FIFO going away stands in for a chip removed under its request: the fd
    // stays readable forever with nothing to read, which a level-triggered poll would spin on.
    const fifo = join(tmp(), 'events');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, 'w');
    const a = cdevAddon();
    const calls: [string | null, number][] = [];
    let wake: () => void = () => {};
    const handle = a.watch(reader, (err, events) => {
      calls.push([err ? (err as NodeJS.ErrnoException).code ?? 'error' : null, events.length]);
      wake();
    });
    try {
      const first = new Promise<void>((r) => (wake = r));
      writeSync(writer, Buffer.alloc(48));
      await first;
      const failed = new Promise<void>((r) => (wake = r));
      closeSync(writer);
      await failed;
      assert.deepEqual(calls, [[null, 1], ['EOF', 0]]);
      // Stopped: a new writer's event is not delivered. A whole poll phase would have handed a
      // watched, readable fd to the addon; the event is still unread.
      const again = openSync(fifo, 'w');
      writeSync(again, Buffer.alloc(48));
      await afterPollPhase();
      closeSync(again);
      assert.deepEqual(calls.length, 2, 'nothing after the error');
      assert.equal(readSync(reader, Buffer.alloc(48)), 48, 'the event waited in the FIFO, unread');
      a.unwatch(handle);
    } finally {
      closeSync(reader);
    }
  });
});

describe('GPIO character device: request options', () => {
  const c = cdevAddon().constants;
  it('maps direction, bias, drive, active-low and edges onto uAPI v2 flags', () => {
    assert.equal(lineFlags({ direction: 'in' }, c), c.LINE_FLAG_INPUT);
    assert.equal(lineFlags({ direction: 'in', bias: 'pull-up', edge: 'both', activeLow: true }, c), c.LINE_FLAG_INPUT | c.LINE_FLAG_BIAS_PULL_UP | c.LINE_FLAG_EDGE_RISING | c.LINE_FLAG_EDGE_FALLING | c.LINE_FLAG_ACTIVE_LOW);
    assert.equal(lineFlags({ direction: 'in', bias: 'pull-down', edge: 'falling' }, c), c.LINE_FLAG_INPUT | c.LINE_FLAG_BIAS_PULL_DOWN | c.LINE_FLAG_EDGE_FALLING);
    assert.equal(lineFlags({ direction: 'out', drive: 'open-drain', bias: 'disabled' }, c), c.LINE_FLAG_OUTPUT | c.LINE_FLAG_OPEN_DRAIN | c.LINE_FLAG_BIAS_DISABLED);
    assert.equal(lineFlags({ direction: 'out', drive: 'open-source', output: 1 }, c), c.LINE_FLAG_OUTPUT | c.LINE_FLAG_OPEN_SOURCE);
  });
  it('refuses combinations the kernel would refuse, saying why', () => {
    const bad = (cfg: object, re: RegExp) => assert.throws(() => lineFlags(cfg as never, c), (e: Error) => e instanceof GpioConfigError && re.test(e.message));
    bad({ direction: 'out', edge: 'both' }, /edge detection applies to inputs only/);
    bad({ direction: 'out', debounceUs: 10 }, /debounce applies to inputs only/);
    bad({ direction: 'in', drive: 'open-drain' }, /drive applies to outputs only/);
    bad({ direction: 'in', output: 1 }, /output level applies to outputs only/);
    bad({ direction: 'sideways' }, /direction must be 'in' or 'out'/);
    bad({ direction: 'in', bias: 'pull-sideways' }, /bias must be/);
    bad({ direction: 'in', debounceUs: -1 }, /whole number of microseconds/);
  });
});

describe('GPIO backend choice and line resolution without chips', () => {
  it('auto is cdev when a /dev/gpiochip exists, else sysfs; explicit settings are kept', () => {
    const dev = tmp();
    assert.equal(chooseGpioBackend('auto', dev), 'sysfs');
    assert.equal(createGpioBinding('auto', undefined, { devDir: dev }).kind, 'onoff');
    writeFileSync(join(dev, 'gpiochip0'), '');
    writeFileSync(join(dev, 'gpiochipX'), '');
    assert.deepEqual(listChips(dev), [join(dev, 'gpiochip0')]);
    assert.equal(chooseGpioBackend('auto', dev), 'cdev');
    assert.equal(createGpioBinding('auto', undefined, { devDir: dev }).kind, 'cdev');
    assert.equal(chooseGpioBackend('sysfs', dev), 'sysfs');
    assert.equal(chooseGpioBackend('cdev', tmp()), 'cdev');
  });
  it('a BCM number or a name with no chip to hold it is GpioLineNotFoundError with advice', () => {
    const binding = new CdevBinding(undefined, tmp());
    assert.throws(() => binding.open(22, { direction: 'out' }), (e: Error) => e instanceof GpioLineNotFoundError && /line 22 not found: a BCM number needs the SoC's chip .* no GPIO chip under .*name the line/.test(e.message));
    assert.throws(() => binding.open('GPIO22', { direction: 'out' }), (e: Error) => e instanceof GpioLineNotFoundError && /'GPIO22' not found: no GPIO chips under/.test(e.message));
    assert.throws(() => findLineByName('GPIO22', '/nonexistent'), GpioLineNotFoundError);
  });
  it('a character-device chip is found under sysfs by label and line count, and by its device when two match', () => {
    const sys = tmp();
    const chip = (base: number, label: string, ngpio: number, devChild?: string) => {
      const d = join(sys, `gpiochip${base}`);
      mkdirSync(d);
      writeFileSync(join(d, 'base'), `${base}\n`);
      writeFileSync(join(d, 'label'), `${label}\n`);
      writeFileSync(join(d, 'ngpio'), `${ngpio}\n`);
      if (devChild) mkdirSync(join(d, 'device', devChild), { recursive: true });
    };
    chip(512, 'pinctrl-bcm2711', 58);
    chip(570, 'raspberrypi-exp-gpio', 8);
    assert.equal(sysfsChipOf({ name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: 58 }, sys).base, 512);
    chip(600, 'gpio-sim', 8, 'gpiochip2');
    chip(608, 'gpio-sim', 8, 'gpiochip3');
    assert.equal(sysfsChipOf({ name: 'gpiochip3', label: 'gpio-sim', lines: 8 }, sys).base, 608);
    assert.throws(() => sysfsChipOf({ name: 'gpiochip9', label: 'nope', lines: 8 }, sys), /not under .*labels seen: pinctrl-bcm2711/);
  });
});
