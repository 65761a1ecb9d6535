import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bcmBase, GpioBaseError } from '../../firmware/hal/gpio/sysfs-base.js';
import { OnoffBinding } from '../../firmware/hal/gpio/onoff-binding.js';
import { I2cAddressBusyError, I2cBusMissingError, I2cNoAckError } from '../../firmware/hal/i2c/errors.js';
import { I2cBusBinding, type I2cBusModuleBus } from '../../firmware/hal/i2c/i2c-bus-binding.js';
import { SimI2cBinding } from '../../firmware/hal/i2c/sim-binding.js';
import { HardwareLog } from '../../firmware/hal/hardware-log.js';
import { SimI2c } from '../../firmware/sim/i2c.js';
import { SimMax9744, SimPcm512x, SimTpa2016 } from '../../firmware/sim/chips.js';
import { Max9744 } from '../../firmware/chips/max9744.js';
import { Tpa2016 } from '../../firmware/chips/tpa2016.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })), { timeout: 30_000 });

/** A fake /sys/class/gpio with the given chips. */
function gpioTree(chips: { name: string; label: string; base: number }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'roombox-gpio-'));
  dirs.push(root);
  for (const c of chips) {
    mkdirSync(join(root, c.name));
    writeFileSync(join(root, c.name, 'label'), `${c.label}\n`);
    writeFileSync(join(root, c.name, 'base'), `${c.base}\n`);
    writeFileSync(join(root, c.name, 'ngpio'), '54\n');
  }
  writeFileSync(join(root, 'export'), '');
  return root;
}

describe('GPIO: BCM to sysfs number', { timeout: 60_000 }, () => {
  it('kernel 6.6+ on a Pi 4: pinctrl-bcm2711 at base 512, expander elsewhere', () => {
    const root = gpioTree([
      { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512 },
      { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570 },
    ]);
    assert.equal(bcmBase(root), 512);
    assert.equal(new OnoffBinding(undefined, root).sysfsNumber(22), 534);
  });
  it('older kernels: pinctrl-bcm2835 at base 0, even when another chip comes first', () => {
    const root = gpioTree([
      { name: 'gpiochip504', label: 'raspberrypi-exp-gpio', base: 504 },
      { name: 'gpiochip0', label: 'pinctrl-bcm2835', base: 0 },
    ]);
    assert.equal(new OnoffBinding(undefined, root).sysfsNumber(4), 4);
  });
  it('Pi 5: pinctrl-rp1 at its dynamic base', () => {
    const root = gpioTree([
      { name: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512 },
      { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571 },
    ]);
    assert.equal(bcmBase(root), 571);
  });
  it('no SoC chip or no sysfs: a clear error', () => {
    assert.throws(() => bcmBase(gpioTree([{ name: 'gpiochip0', label: 'some-expander', base: 0 }])), (e: Error) => e instanceof GpioBaseError && /labels seen: some-expander/.test(e.message));
    assert.throws(() => bcmBase('/nonexistent/gpio'), GpioBaseError);
  });
});

describe('I2C: errors mapped to typed errors, bounded retries', { timeout: 60_000 }, () => {
  it('real i2c-bus on a bus that does not exist: open and scan both say so (scan never returns [])', () => {
    // i2c-bus itself: a missing bus scans as [] and fails with ENOENT on the first transfer.
    const i2c = createRequire(import.meta.url)('i2c-bus') as { openSync(n: number): I2cBusModuleBus };
    assert.equal(existsSync('/dev/i2c-97'), false);
    assert.deepEqual(i2c.openSync(97).scanSync(), []);
    assert.throws(() => i2c.openSync(97).readByteSync(0x4c, 0), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    // Our binding over it: both say the bus is missing.
    const binding = new I2cBusBinding();
    assert.throws(() => binding.open(97), (e: Error) => e instanceof I2cBusMissingError && /bus 97 does not exist/.test(e.message));
  });

  it('the real binding maps errno codes from i2c-bus', () => {
    const dev = mkdtempSync(join(tmpdir(), 'roombox-dev-'));
    dirs.push(dev);
    writeFileSync(join(dev, 'i2c-1'), '');
    let calls = 0;
    const fail = (code: string) => () => {
      calls++;
      throw Object.assign(new Error(code), { code });
    };
    const fake: I2cBusModuleBus = {
      readByteSync: fail('EBUSY'),
      writeByteSync: fail('EREMOTEIO'),
      readWordSync: fail('ENXIO'),
      writeWordSync: fail('EIO'),
      readI2cBlockSync: fail('ENODEV'),
      writeI2cBlockSync: () => 0,
      sendByteSync: fail('EPERM'),
      scanSync: () => [0x4c],
      closeSync: () => {},
    };
    const bus = new I2cBusBinding(undefined, () => fake, join(dev, 'i2c-')).open(1);
    calls = 0;
    assert.throws(() => bus.readByte(0x4d, 0), I2cAddressBusyError);
    assert.equal(calls, 1, 'EBUSY is not retried');
    calls = 0;
    assert.throws(() => bus.writeByte(0x4d, 0, 1), I2cNoAckError);
    assert.equal(calls, 3, 'no-ack is retried, a bounded number of times');
    assert.throws(() => bus.readWord(0x4d, 0), I2cNoAckError);
    assert.throws(() => bus.writeWord(0x4d, 0, 0), /no answer from I2C 0x4d on bus 1 \(EIO\)/);
    assert.throws(() => bus.readBlock(0x4d, 0, 2), /no answer from I2C 0x4d on bus 1 \(ENODEV\)/);
    assert.throws(() => bus.sendByte(0x4d, 0), /EPERM/);
    assert.deepEqual(bus.scan(), [0x4c]);
    rmSync(join(dev, 'i2c-1'));
    assert.throws(() => bus.scan(), I2cBusMissingError, 'a bus that vanished does not scan as []');
  });

  it('sim bus: a transient EREMOTEIO is retried and the write lands once in the log', () => {
    const sim = new SimI2c();
    const pcm = new SimPcm512x();
    sim.attach(1, 0x4c, pcm);
    const log = new HardwareLog();
    const bus = new SimI2cBinding(sim, log).open(1);
    sim.failNext(1, 0x4c, 'EREMOTEIO', 2);
    bus.writeByte(0x4c, 0x3d, 0x60);
    assert.equal(pcm.volumeDb.left, -24);
    assert.equal(log.recent(10).length, 1);
    sim.failNext(1, 0x4c, 'EIO', 3);
    assert.throws(() => bus.writeByte(0x4c, 0x3d, 0x30), I2cNoAckError);
    assert.throws(() => bus.readByte(0x20, 0), I2cNoAckError, 'empty address');
    sim.holdByKernel(1, 0x4c);
    assert.throws(() => bus.readByte(0x4c, 0), I2cAddressBusyError);
    assert.throws(() => new SimI2cBinding(sim).open(5), I2cBusMissingError);
  });
});

describe('simulated chips model their registers', { timeout: 60_000 }, () => {
  it('PCM512x: page select, reset to defaults, soft mute monitor', () => {
    const c = new SimPcm512x();
    assert.deepEqual(c.volumeDb, { left: 0, right: 0 }, 'reset default 0x30 = 0 dB');
    c.write(0x3d, 0x40);
    c.write(0x00, 1);
    assert.equal(c.read(0x3d), 0, 'page 1 has its own registers');
    c.write(0x3d, 0x99);
    c.write(0x00, 0);
    assert.equal(c.read(0x3d), 0x40);
    c.write(0x03, 0x11);
    assert.equal(c.read(0x6c), 0x11, 'analog mute monitor follows the request');
    c.write(0x6c, 0);
    assert.equal(c.read(0x6c), 0x11, '0x6C is read-only');
    c.write(0x01, 0x11);
    assert.equal(c.read(0x3d), 0x30, 'RSTR restores defaults');
    c.write(0x3d, 0xff);
    assert.equal(c.volumeDb.left, null, '0xFF is mute');
  });

  it('MAX9744: write-only; reads fail as on the real chip; the driver keeps a shadow', async () => {
    const sim = new SimI2c();
    const chip = new SimMax9744();
    sim.attach(1, 0x4b, chip);
    const bus = new SimI2cBinding(sim).open(1);
    assert.throws(() => bus.readByte(0x4b, 0), I2cNoAckError);
    assert.equal(chip.volume, 40, 'power-up default');
    const drv = new Max9744(bus, 0x4b, { min: -50, max: 9.5 });
    await drv.boot();
    assert.equal(chip.volume, 0);
    assert.equal(await drv.setVolumeDb(9.5), 9.5);
    assert.equal(chip.volume, 0, 'muted: only the shadow moves');
    await drv.setMute(false);
    assert.equal(chip.volume, 63);
    assert.equal(await drv.setVolumeDb(-50), -50);
    assert.equal(chip.volume, 1);
  });

  it('TPA2016: fault bits are readable and cleared by writing 0', async () => {
    const sim = new SimI2c();
    const chip = new SimTpa2016();
    sim.attach(1, 0x58, chip);
    const drv = new Tpa2016(new SimI2cBinding(sim).open(1), 0x58);
    assert.deepEqual(await drv.faults(), []);
    chip.raiseFault(0x10 | 0x04);
    assert.deepEqual(await drv.faults(), ['right channel short', 'over temperature']);
    await drv.powerUp();
    assert.deepEqual(await drv.faults(), []);
    assert.equal(await drv.setVolumeDb(-40), -28, 'clamped to the chip range');
    assert.equal(chip.gainDb, -28);
  });
});
