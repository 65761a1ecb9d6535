import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONFIG_VALIDATORS, PROFILE_VALIDATOR, renderConfigValidators, renderProfileValidator } from '../../scripts/gen-validators.js';
import { profileErrors } from '../../firmware/board/load-profile.js';

it('the compiled validators match the variable table and the board profile schema', { timeout: 60_000 }, () => {
  assert.equal(readFileSync(CONFIG_VALIDATORS, 'utf8'), renderConfigValidators(), 'run `npx tsx scripts/gen-validators.ts` and commit the result');
  assert.equal(readFileSync(PROFILE_VALIDATOR, 'utf8'), renderProfileValidator(), 'run `npx tsx scripts/gen-validators.ts` and commit the result');
});

it('a profile with an empty description is refused by the compiled validator (its length check from ajv runs)', { timeout: 60_000 }, () => {
  const profile = JSON.parse(readFileSync(new URL('../../board/usb-capture.json', import.meta.url), 'utf8'));
  assert.deepEqual(profileErrors(profile), []);
  assert.deepEqual(profileErrors({ ...profile, description: '' }), ['/description must NOT have fewer than 1 characters']);
});
