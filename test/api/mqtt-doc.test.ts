import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DOC, renderDoc } from '../../scripts/gen-mqtt-doc.js';
import { consoleHelp } from '../../scripts/console-help.js';

it('docs/mqtt.md shows exactly the topics, payloads, commands, events and console help the code has', { timeout: 60_000 }, async () => {
  const current = readFileSync(DOC, 'utf8');
  assert.equal(current, renderDoc(current, await consoleHelp()), 'run `npx tsx scripts/gen-mqtt-doc.ts` and commit the result');
});
