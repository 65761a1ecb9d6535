import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DOC, renderDoc } from '../../scripts/gen-config-doc.js';

it('docs/configuration.md shows exactly the variables the schema enforces', { timeout: 60_000 }, () => {
  const current = readFileSync(DOC, 'utf8');
  assert.equal(current, renderDoc(current), 'run `npx tsx scripts/gen-config-doc.ts` and commit the result');
});

it('the SD card settings template lists every variable, commented out', { timeout: 60_000 }, async () => {
  const { ENV_TEMPLATE, renderEnvTemplate } = await import('../../scripts/gen-env-template.js');
  const current = readFileSync(ENV_TEMPLATE, 'utf8');
  assert.equal(current, renderEnvTemplate(), 'run `npx tsx scripts/gen-env-template.ts` and commit the result');
  const { VARS } = await import('../../firmware/config/schema.js');
  for (const v of VARS) assert.match(current, new RegExp(`^#${v.name}=`, 'm'));
  assert.doesNotMatch(current, /^ROOMBOX_/m, 'nothing is set by default');
});

it('the boot config fragment holds every real board amp line at its safe level', { timeout: 60_000 }, async () => {
  const { BOOT_CONFIG, renderBootConfig } = await import('../../scripts/gen-boot-config.js');
  const current = readFileSync(BOOT_CONFIG, 'utf8');
  assert.equal(current, renderBootConfig(), 'run `npx tsx scripts/gen-boot-config.ts` and commit the result');
  // IQaudio DigiAMP+: GPIO22 low = muted.
  assert.match(current, /# board: iqaudio-digiamp-plus\n# zone \w+: GPIO22 mute asserted\n#gpio=22=op,dl\n/);
});
