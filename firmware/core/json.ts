import { UserError } from './errors.js';

/** Parses a JSON object payload, or refuses it with a UserError saying why. */
export function parseJsonObject(payload: Buffer | string): Record<string, unknown> {
  const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
  if (text.length === 0) throw new UserError('empty payload');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError('payload is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UserError('payload must be a JSON object');
  return value as Record<string, unknown>;
}
