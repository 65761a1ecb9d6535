// Writes the chip lists of board/profile.schema.json from the chip registry
// (firmware/chips/registry.ts). `npx tsx scripts/gen-board-schema.ts` rewrites the file; the test
// test/zones/chip-registry.test.ts fails when the schema and the registry disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHIP_KINDS, I2C_CHIP_KINDS } from '../firmware/chips/registry.js';

export const SCHEMA = join(import.meta.dirname, '..', 'board', 'profile.schema.json');

const list = (kinds: readonly string[]) => `[${kinds.map((k) => JSON.stringify(k)).join(', ')}]`;

export function renderSchema(current: string): string {
  const every = /("chip": \{ "enum": )\[[^\]]*\]( \},)/;
  const i2c = /("if": \{ "properties": \{ "chip": \{ "enum": )\[[^\]]*\]( \} \} \},\n\s*"then": \{ "required": \["bus", "address"\] \})/;
  if (!every.test(current) || !i2c.test(current)) throw new Error(`${SCHEMA}: the chip lists are not where the generator expects them`);
  return current.replace(every, `$1${list(CHIP_KINDS)}$2`).replace(i2c, `$1${list(I2C_CHIP_KINDS)}$2`);
}

if (process.argv[1]?.endsWith('gen-board-schema.ts')) {
  writeFileSync(SCHEMA, renderSchema(readFileSync(SCHEMA, 'utf8')));
  console.log(`wrote ${SCHEMA}`);
}
