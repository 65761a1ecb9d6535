import type { TSchema } from './schema.js';

type Json = Record<string, unknown>;

/** A short human notation of a schema's type: `"on" | "off"`, `number 0-100`, `[number]`, `{...}`. */
export function typeText(schema: TSchema | Json): string {
  const s = schema as Json;
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alts) return alts.map((a) => typeText(a)).join(' \\| ');
  switch (s.type) {
    case 'number':
    case 'integer': {
      const range = s.minimum !== undefined && s.maximum !== undefined ? ` ${String(s.minimum)}-${String(s.maximum)}` : '';
      return `${s.type === 'integer' ? 'integer' : 'number'}${range}`;
    }
    case 'array':
      return `[${typeText(s.items as Json)}]`;
    case 'object':
      return '{' + Object.keys((s.properties as Json) ?? {}).join(', ') + '}';
    case 'null':
      return 'null';
    case undefined:
      return 'any JSON';
    default:
      return String(s.type);
  }
}

/** The fields of an object schema: name, type, required, description. */
export function fieldsOf(schema: TSchema): { name: string; type: string; required: boolean; description: string }[] {
  const s = schema as unknown as Json;
  const props = (s.properties as Record<string, Json>) ?? {};
  const required = new Set((s.required as string[]) ?? []);
  return Object.entries(props).map(([name, p]) => ({ name, type: typeText(p), required: required.has(name), description: String(p.description ?? '') }));
}
