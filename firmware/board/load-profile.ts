import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/config.js';
import type { BoardProfile } from './profile.js';
import { boardProfile as validateProfile } from './profile-validator.generated.js';

/** board/ at the project root, found from this file whether it runs from firmware/ or dist/firmware/. */
export function boardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'board', 'profile.schema.json'))) return join(dir, 'board');
    dir = dirname(dir);
  }
  throw new Error('board/ directory not found');
}

interface SchemaError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Checks against board/profile.schema.json (compiled by scripts/gen-validators.ts) and fills in its defaults. */
function validate(data: unknown): SchemaError[] {
  const check = validateProfile as { (data: unknown): boolean; errors?: SchemaError[] | null };
  return check(data) ? [] : (check.errors ?? []);
}

/** Schema errors plus the rules a schema cannot say (unique names). Empty when the profile is valid. */
export function profileErrors(data: unknown): string[] {
  const errors = validate(data).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? `: ${(e.params.allowedValues as unknown[]).join(', ')}` : ''}`);
  if (errors.length > 0) return errors;
  const p = data as BoardProfile;
  const seen = new Set<string>();
  for (const [kind, list] of [['zones', p.zones], ['inputs', p.inputs]] as const) {
    list.forEach((item, i) => {
      if (seen.has(item.name)) errors.push(`/${kind}/${i}/name '${item.name}' is used twice`);
      seen.add(item.name);
    });
  }
  p.zones.forEach((z, i) => {
    if (z.volumeDb.min >= z.volumeDb.max) errors.push(`/zones/${i}/volumeDb min must be below max`);
  });
  return errors;
}

/**
 * Loads ROOMBOX_BOARD: a name from board/ or a path to a profile file. Any problem is a
 * ConfigError (exit 78) naming the JSON path of each error.
 */
export function loadProfile(nameOrPath: string): BoardProfile {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const file = isPath ? resolve(nameOrPath) : join(boardDir(), `${nameOrPath}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError([`ROOMBOX_BOARD='${nameOrPath}' is invalid: expected a profile name from board/ or a readable profile file (${file} not found)`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`ROOMBOX_BOARD='${nameOrPath}' is invalid: ${file} is not JSON (${(err as Error).message})`]);
  }
  const errors = profileErrors(data);
  if (errors.length > 0) throw new ConfigError(errors.map((e) => `ROOMBOX_BOARD='${nameOrPath}' is invalid: ${e}`));
  return data as BoardProfile;
}
