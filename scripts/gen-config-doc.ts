// Renders the environment table of docs/configuration.md from firmware/config/schema.ts, the
// single source of truth. `npx tsx scripts/gen-config-doc.ts` rewrites the file; the test
// test/config/config-doc.test.ts fails when the page and the schema disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VARS, ZONE_VARS } from '../firmware/config/schema.js';

export const DOC = join(import.meta.dirname, '..', 'docs', 'configuration.md');
const BEGIN = '<!-- generated: environment table -->';
const END = '<!-- end generated -->';

export function renderTable(): string {
  const rows = VARS.map((v) => `| \`${v.name}\` | ${v.default} | ${v.allowed}${v.secret ? (v.name === 'ROOMBOX_MQTT_URL' ? ' (a password in it is shown as `***`)' : ' (secret: shown as `***`)') : ''} | ${v.meaning} |`);
  const zoneRows = Object.entries(ZONE_VARS).map(([field, v]) => `| \`ROOMBOX_ZONE_<ZONE>_${field}\` | ${v.default} | ${v.allowed} | ${v.meaning} |`);
  return [BEGIN, '| variable | default | allowed | meaning |', '|---|---|---|---|', ...rows, ...zoneRows, END].join('\n');
}

export function renderDoc(current: string): string {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < 0) throw new Error(`${DOC} lacks the generated-table markers`);
  return current.slice(0, start) + renderTable() + current.slice(end + END.length);
}

if (process.argv[1]?.endsWith('gen-config-doc.ts')) {
  writeFileSync(DOC, renderDoc(readFileSync(DOC, 'utf8')));
  console.log(`wrote ${DOC}`);
}
