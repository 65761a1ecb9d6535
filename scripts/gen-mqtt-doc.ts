// Renders the generated parts of docs/mqtt.md (topics, payloads, commands, events) from the API
// module (firmware/api) and the features' control declarations. `npx tsx scripts/gen-mqtt-doc.ts`
// rewrites the page; test/api/mqtt-doc.test.ts fails when the page and the code disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fieldsOf, typeText } from '../firmware/api/describe.js';
import { EVENTS } from '../firmware/api/events.js';
import type { TSchema } from '../firmware/api/schema.js';
import { REQUEST, TOPICS, type TopicSpec } from '../firmware/api/topics.js';
import type { ControlFeature } from '../firmware/controls/control.js';
import { controlDocRows } from '../firmware/controls/doc-lines.js';
import { ZONE_CONTROLS } from '../firmware/zones/controls.js';

export const DOC = join(import.meta.dirname, '..', 'docs', 'mqtt.md');

/** The features whose controls the page lists; a fixture feature can be passed instead. */
export const FEATURES: ControlFeature<unknown>[] = [
  { noun: 'zone', plural: 'zones', controls: ZONE_CONTROLS, targets: () => new Map(), label: String, describe: String },
];

const isObject = (s: TSchema) => (s as unknown as { type?: string }).type === 'object';

function topicRows(): string[] {
  const row = (t: TopicSpec) => {
    const payload = t.text ? typeText(t.schema) : isObject(t.schema) ? 'JSON object (below)' : 'JSON';
    return `| \`P/${t.path}\` | ${t.direction === 'out' ? 'box →' : '→ box'} | ${t.retained ? 'yes' : 'no'} | ${t.qos} | ${payload} | ${t.summary} |`;
  };
  return ['| topic | direction | retained | QoS | payload | what |', '|---|---|---|---|---|---|', ...[...Object.values(TOPICS), REQUEST].map(row)];
}

function payloadSections(): string[] {
  const out: string[] = [];
  for (const t of [...Object.values(TOPICS), REQUEST]) {
    if (!isObject(t.schema)) continue;
    out.push(`### \`P/${t.path}\``, '', '| field | type | always | meaning |', '|---|---|---|---|');
    for (const f of fieldsOf(t.schema)) out.push(`| \`${f.name}\` | ${f.type} | ${f.required ? 'yes' : 'no'} | ${f.description} |`);
    out.push('');
  }
  out.push('### `P/event`', '', 'Every event is `{seq, ts, type, zone?, input?, detail?}`; the types are listed under [Events](#events-generated).', '');
  return out;
}

export function eventRows(): string[] {
  return [
    '| type | about | detail | meaning |',
    '|---|---|---|---|',
    ...Object.entries(EVENTS).map(([type, s]) => {
      const detail = 'detail' in s && s.detail ? typeText(s.detail) : '';
      return `| \`${type}\` | ${s.target ?? 'the box'} | ${detail} | ${s.summary} |`;
    }),
  ];
}

export function commandRows(features: ControlFeature<unknown>[] = FEATURES): string[] {
  return ['| topic | payload | console | Home Assistant | what |', '|---|---|---|---|---|', ...features.flatMap((f) => controlDocRows(f))];
}

/** Renders every generated section; `help` is the console's help as the sim board prints it. */
export function renderDoc(current: string, help: string[]): string {
  const SECTIONS: Record<string, () => string[]> = {
    topics: topicRows,
    payloads: payloadSections,
    commands: () => commandRows(),
    events: eventRows,
    console: () => ['```', ...help, '```'],
  };
  let doc = current;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const begin = `<!-- generated: ${name} -->`;
    const end = `<!-- end generated: ${name} -->`;
    const a = doc.indexOf(begin);
    const b = doc.indexOf(end);
    if (a < 0 || b < 0) throw new Error(`${DOC} lacks the markers of the generated ${name}`);
    doc = doc.slice(0, a) + [begin, ...render(), end].join('\n') + doc.slice(b + end.length);
  }
  return doc;
}

if (process.argv[1]?.endsWith('gen-mqtt-doc.ts')) {
  const { consoleHelp } = await import('./console-help.js');
  writeFileSync(DOC, renderDoc(readFileSync(DOC, 'utf8'), await consoleHelp()));
  console.log(`wrote ${DOC}`);
}
