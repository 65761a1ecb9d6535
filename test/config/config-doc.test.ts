import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DOC, renderDoc } from '../../scripts/gen-config-doc.js';

it('docs/configuration.md shows exactly the variables the schema enforces', () => {
  const current = readFileSync(DOC, 'utf8');
  assert.equal(current, renderDoc(current), 'run `npx tsx scripts/gen-config-doc.ts` and commit the result');
});
