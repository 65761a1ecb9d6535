import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boardDir, loadProfile, profileErrors } from '../../firmware/board/load-profile.js';
import { ConfigError } from '../../firmware/config/config.js';

const files = readdirSync(boardDir()).filter((f) => f.endsWith('.json') && f !== 'profile.schema.json');

describe('board profiles', { timeout: 60_000 }, () => {
  it('every board/*.json validates against the schema and loads by name', () => {
    assert.ok(files.length >= 7, `profiles: ${files.join(', ')}`);
    for (const f of files) {
      const data = JSON.parse(readFileSync(join(boardDir(), f), 'utf8'));
      assert.deepEqual(profileErrors(data), [], f);
      assert.equal(data.name, f.replace(/\.json$/, ''), `${f}: name matches the file`);
      assert.equal(loadProfile(data.name).name, data.name);
    }
  });

  it('every real amplifier profile names the sources of its pin and register facts', () => {
    for (const f of files) {
      const p = loadProfile(f.replace(/\.json$/, ''));
      if (p.simulated || p.zones.length === 0) continue;
      assert.ok((p.sources ?? []).length > 0, `${f}: sources`);
      assert.match(p.description, /Facts:/, `${f}: description says where the facts come from`);
    }
  });

  it('an amplifier board may have a capture input too', () => {
    const p = loadProfile('iqaudio-digiamp-plus');
    assert.equal(p.zones.length, 1);
    assert.deepEqual(p.inputs[0]!.match, { anyUsb: true });
  });

  it('zone mistakes are reported with their JSON path', () => {
    const p = JSON.parse(readFileSync(join(boardDir(), 'adafruit-max9744.json'), 'utf8'));
    p.zones[0].amp = { chip: 'max9744' };
    p.zones[0].gpio.enable.active = 'sideways';
    p.zones[0].maxVolume = 101;
    const errors = profileErrors(p);
    assert.ok(errors.some((e) => e.startsWith("/zones/0/amp must have required property 'bus'")), errors.join('\n'));
    assert.ok(errors.some((e) => e.startsWith('/zones/0/gpio/enable/active must be equal to one of the allowed values')), errors.join('\n'));
    assert.ok(errors.some((e) => e.startsWith('/zones/0/maxVolume must be <= 100')), errors.join('\n'));
    const dup = JSON.parse(readFileSync(join(boardDir(), 'sim.json'), 'utf8'));
    dup.zones[1].name = 'living';
    assert.deepEqual(profileErrors(dup), ["/zones/1/name 'living' is used twice"]);
    assert.throws(() => loadProfile('/nonexistent/board.json'), ConfigError);
  });
});
