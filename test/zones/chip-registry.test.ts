import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderSchema, SCHEMA } from '../../scripts/gen-board-schema.js';
import { CHIPS, CHIP_KINDS } from '../../firmware/chips/registry.js';
import { SimHardware } from '../../firmware/sim/sim-hardware.js';
import { profileErrors } from '../../firmware/board/load-profile.js';

it('the board schema lists exactly the chips of the registry', { timeout: 10_000 }, () => {
  const current = readFileSync(SCHEMA, 'utf8');
  assert.equal(current, renderSchema(current), 'run `npx tsx scripts/gen-board-schema.ts` and commit the result');
  const schema = JSON.parse(current);
  assert.deepEqual(schema.definitions.amp.properties.chip.enum, CHIP_KINDS);
});

it('every I2C chip of the registry gets its register model on the sim board at its default address, and a profile naming it is valid', { timeout: 10_000 }, () => {
  for (const kind of CHIP_KINDS) {
    const entry = CHIPS[kind];
    if (entry.bus !== 'i2c') continue;
    const address = entry.defaultAddress;
    const zone = { name: 'z', playback: { card: 0, device: 0 }, amp: { chip: kind, bus: 1, address }, gpio: {}, settleMs: 10, volumeDb: { min: -60, max: 0 }, maxVolume: 100 };
    const profile = { name: 'one', description: kind, simulated: true, zones: [zone], inputs: [] };
    assert.deepEqual(profileErrors(profile), [], kind);
    const sim = new SimHardware(profile as never);
    assert.equal(sim.i2c.chip(1, address)?.kind, kind, `${kind} modelled at 0x${address.toString(16)}`);
  }
  assert.notDeepEqual(profileErrors({ name: 'x', description: 'x', zones: [{ name: 'z', playback: { card: 0, device: 0 }, amp: { chip: 'nosuchchip' }, gpio: {}, settleMs: 1, volumeDb: { min: -1, max: 0 }, maxVolume: 1 }], inputs: [] }), []);
});
