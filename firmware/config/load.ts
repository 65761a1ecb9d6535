import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BOX_ID_RE, UPLOAD_RE, VARS, ZONE_NAME_RE, ZONE_VARS, type JsonSchema, type ZoneVarField } from './schema.js';
import { ConfigError, type Config, type ZoneEnv } from './config.js';
import { isPasswordHash } from './password-hash.js';
import * as validators from './validators.generated.js';

// No coercion: ajv's would take ' 5', '1e3' and '0x50' for numbers. The text is read strictly
// here (textValue), and the schema then checks the value it gave, with the validator
// scripts/gen-validators.ts compiled from it (one per variable, ROOMBOX_ZONE_<FIELD> per zone field).
type Validator = (value: unknown) => boolean;
const VALIDATORS = validators as unknown as Record<string, Validator | undefined>;

function validatorFor(name: string): Validator {
  const validate = VALIDATORS[name];
  if (!validate) throw new Error(`no validator for ${name}: run \`npx tsx scripts/gen-validators.ts\``);
  return validate;
}

/** Plain decimal notation only: what a person writes for a port, a count or seconds. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** The value a variable's text stands for under its schema's type, or undefined when it stands for none. */
function textValue(schema: JsonSchema, raw: string): unknown {
  switch (schema.type) {
    case 'integer':
    case 'number':
      return DECIMAL.test(raw) ? Number(raw) : undefined;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
    default:
      return raw;
  }
}

/** Validates one raw string against a variable's schema (`name`: whose validator). */
function parseValue(name: string, schema: JsonSchema, raw: string): { ok: true; value: unknown } | { ok: false } {
  const value = textValue(schema, raw);
  return value !== undefined && validatorFor(name)(value) ? { ok: true, value } : { ok: false };
}

export interface LoadResult {
  config: Config;
  warnings: string[];
}

/** Masks a secret for an error line: never its content. */
export function maskSecret(value: string): string {
  return value.length === 0 ? "''" : '***';
}

/** A URL with its password replaced by ***. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

export function sanitiseHostname(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return BOX_ID_RE.test(id) ? id : 'roombox';
}

/**
 * Reads every ROOMBOX_* variable, reports every bad one at once (ConfigError), and returns a
 * frozen config. Empty values count as unset.
 */
export function loadConfig(env: NodeJS.ProcessEnv, opts: { stdinIsTTY?: boolean; hostname?: string } = {}): LoadResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const values = new Map<string, unknown>();
  const known = new Set(VARS.map((v) => v.name));

  for (const spec of VARS) {
    const raw = env[spec.name];
    if (raw === undefined || raw === '') continue;
    const parsed = parseValue(spec.name, spec.schema, raw);
    if (!parsed.ok) {
      const shown = spec.secret ? (spec.name === 'ROOMBOX_MQTT_URL' ? `'${maskUrl(raw)}'` : maskSecret(raw)) : `'${printable(raw)}'`;
      problems.push(`${spec.name}=${shown} is invalid: expected ${spec.allowed}`);
    } else values.set(spec.name, parsed.value);
  }

  const zones: Record<string, ZoneEnv> = {};
  for (const [name, raw] of Object.entries(env)) {
    const m = /^ROOMBOX_ZONE_(.+)_(MAX_VOLUME|PLAYER|VOLUME_SYNC)$/.exec(name);
    if (!m) {
      if (name.startsWith('ROOMBOX_') && !known.has(name)) warnings.push(`unknown variable ${name} ignored`);
      continue;
    }
    if (raw === undefined || raw === '') continue;
    const zone = m[1]!.toLowerCase();
    const field = m[2] as ZoneVarField;
    const spec = ZONE_VARS[field];
    if (!ZONE_NAME_RE.test(zone)) {
      problems.push(`${name}: '${printable(m[1]!)}' is not a zone name: expected letters, digits and _`);
      continue;
    }
    const parsed = parseValue(`ROOMBOX_ZONE_${field}`, spec.schema, raw);
    if (!parsed.ok) {
      problems.push(`${name}='${printable(raw)}' is invalid: expected ${spec.allowed}`);
      continue;
    }
    const z = (zones[zone] ??= { volumeSync: 'off' });
    if (field === 'MAX_VOLUME') z.maxVolume = parsed.value as number;
    else if (field === 'PLAYER') z.player = parsed.value as string;
    else z.volumeSync = parsed.value as ZoneEnv['volumeSync'];
  }

  let password = values.get('ROOMBOX_MQTT_PASSWORD') as string | undefined;
  const passwordFile = values.get('ROOMBOX_MQTT_PASSWORD_FILE') as string | undefined;
  if (passwordFile !== undefined) {
    if (password !== undefined) problems.push('ROOMBOX_MQTT_PASSWORD_FILE is invalid: set either ROOMBOX_MQTT_PASSWORD or ROOMBOX_MQTT_PASSWORD_FILE, not both');
    try {
      password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`ROOMBOX_MQTT_PASSWORD_FILE='${printable(passwordFile)}' is invalid: expected a readable file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  for (const name of ['ROOMBOX_MQTT_CA_FILE', 'ROOMBOX_MQTT_CERT_FILE', 'ROOMBOX_MQTT_KEY_FILE']) {
    const file = values.get(name) as string | undefined;
    if (file === undefined) continue;
    try {
      readFileSync(file);
    } catch (err) {
      problems.push(`${name}='${printable(file)}' is invalid: expected a readable PEM file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const http = parseHttp(values.get('ROOMBOX_HTTP') as string | undefined, problems);
  let httpPasswordHash: string | undefined;
  const httpPasswordFile = values.get('ROOMBOX_HTTP_PASSWORD_FILE') as string | undefined;
  if (httpPasswordFile !== undefined) {
    try {
      httpPasswordHash = readFileSync(httpPasswordFile, 'utf8').trim();
      if (!isPasswordHash(httpPasswordHash)) problems.push(`ROOMBOX_HTTP_PASSWORD_FILE='${printable(httpPasswordFile)}' is invalid: expected the line printed by 'roombox passwd'`);
    } catch (err) {
      problems.push(`ROOMBOX_HTTP_PASSWORD_FILE='${printable(httpPasswordFile)}' is invalid: expected a readable file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const upload = values.get('ROOMBOX_RECORD_UPLOAD') as string | undefined;
  const uploadPort = upload === undefined ? undefined : parseUpload(upload)?.port;
  if (uploadPort !== undefined && (uploadPort < 1 || uploadPort > 65535)) problems.push(`ROOMBOX_RECORD_UPLOAD='${printable(upload!)}' is invalid: the port must be 1-65535`);
  const keyFile = values.get('ROOMBOX_RECORD_UPLOAD_KEY_FILE') as string | undefined;
  if (keyFile !== undefined) {
    try {
      readFileSync(keyFile);
    } catch (err) {
      problems.push(`ROOMBOX_RECORD_UPLOAD_KEY_FILE='${printable(keyFile)}' is invalid: expected a readable SSH private key file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (values.has('ROOMBOX_MQTT_CERT_FILE') !== values.has('ROOMBOX_MQTT_KEY_FILE')) {
    problems.push('ROOMBOX_MQTT_CERT_FILE is invalid: a client certificate needs ROOMBOX_MQTT_KEY_FILE too (set both or neither)');
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const get = <T>(name: string, fallback: T): T => (values.has(name) ? (values.get(name) as T) : fallback);
  const config: Config = {
    id: get('ROOMBOX_ID', sanitiseHostname(opts.hostname ?? hostname())),
    board: get('ROOMBOX_BOARD', 'sim'),
    mqtt: {
      url: get<string | undefined>('ROOMBOX_MQTT_URL', undefined),
      version: get<4 | 5>('ROOMBOX_MQTT_VERSION', 4),
      embeddedPort: get('ROOMBOX_EMBEDDED_BROKER_PORT', 1883),
      username: get<string | undefined>('ROOMBOX_MQTT_USERNAME', undefined),
      password,
      caFile: get<string | undefined>('ROOMBOX_MQTT_CA_FILE', undefined),
      certFile: get<string | undefined>('ROOMBOX_MQTT_CERT_FILE', undefined),
      keyFile: get<string | undefined>('ROOMBOX_MQTT_KEY_FILE', undefined),
    },
    topicPrefix: get('ROOMBOX_TOPIC_PREFIX', 'roombox'),
    haDiscovery: get('ROOMBOX_HA_DISCOVERY', true),
    haPrefix: get('ROOMBOX_HA_PREFIX', 'homeassistant'),
    dataDir: get('ROOMBOX_DATA_DIR', './data'),
    console: {
      target: get('ROOMBOX_CONSOLE', opts.stdinIsTTY ? 'stdio' : 'off'),
      baud: get('ROOMBOX_CONSOLE_BAUD', 115200),
    },
    telemetryS: get('ROOMBOX_TELEMETRY_S', 60),
    levelsHz: get('ROOMBOX_LEVELS_HZ', 10),
    ampIdleS: get('ROOMBOX_AMP_IDLE_S', 600),
    silenceDbfs: get('ROOMBOX_SILENCE_DBFS', -60),
    silenceS: get('ROOMBOX_SILENCE_S', 10),
    quietLufs: get<number | undefined>('ROOMBOX_QUIET_LUFS', undefined),
    outboxMax: get('ROOMBOX_OUTBOX_MAX', 100000),
    gpio: get('ROOMBOX_GPIO', 'auto'),
    safeMode: { after: get('ROOMBOX_SAFE_MODE_AFTER', 5), cleanS: get('ROOMBOX_SAFE_MODE_CLEAN_S', 600) },
    record: {
      atStart: get<string>('ROOMBOX_RECORD', 'off') === 'on',
      dir: get('ROOMBOX_RECORD_DIR', join(get('ROOMBOX_DATA_DIR', './data'), 'recordings')),
      segmentS: get('ROOMBOX_RECORD_SEGMENT_S', 300),
      minFreeMb: get('ROOMBOX_RECORD_MIN_FREE_MB', 500),
      upload: parseUpload(get<string | undefined>('ROOMBOX_RECORD_UPLOAD', undefined)),
      uploadKeyFile: keyFile,
    },
    procRoot: get<string | undefined>('ROOMBOX_PROC_ROOT', undefined),
    http,
    httpPasswordHash,
    update: {
      url: get<string | undefined>('ROOMBOX_UPDATE_URL', undefined),
      checkS: get('ROOMBOX_UPDATE_CHECK_S', 21600),
      confirmS: get('ROOMBOX_UPDATE_CONFIRM_S', 300),
      keyFile: get('ROOMBOX_UPDATE_KEY', '/opt/roombox/update-key.pub'),
      disk: get('ROOMBOX_UPDATE_DISK', '/dev/mmcblk0'),
      autobootDir: get('ROOMBOX_UPDATE_AUTOBOOT_DIR', '/boot/autoboot'),
      stateDir: get('ROOMBOX_UPDATE_STATE_DIR', join(get('ROOMBOX_DATA_DIR', './data'), 'update')),
      rebootCmd: get<string | undefined>('ROOMBOX_UPDATE_REBOOT_CMD', undefined)?.trim().split(/\s+/),
    },
    logLevel: get('ROOMBOX_LOG_LEVEL', 'info'),
    zones,
  };
  return { config: deepFreeze(config), warnings };
}

function parseUpload(value: string | undefined): Config['record']['upload'] {
  const m = value === undefined ? null : UPLOAD_RE.exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? { user: m[1], host: m[2]!, port: 22, path: m[3]! } : { user: m[4]!, host: m[5]!, port: Number(m[6]), path: m[7]! };
}

/** The config as `config` shows it: secrets as ***. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    mqtt: {
      ...config.mqtt,
      url: config.mqtt.url === undefined ? undefined : maskUrl(config.mqtt.url),
      password: config.mqtt.password === undefined ? undefined : '***',
    },
    httpPasswordHash: config.httpPasswordHash === undefined ? undefined : '***',
  };
}

/** ROOMBOX_HTTP: off, port, or host:port (IPv6 in brackets); default 127.0.0.1:8080. */
function parseHttp(raw: string | undefined, problems: string[]): Config['http'] {
  if (raw === 'off') return undefined;
  if (raw === undefined) return { host: '127.0.0.1', port: 8080 };
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(raw);
  const port = Number(m?.[2]);
  if (!m || !(port >= 1 && port <= 65535)) {
    problems.push(`ROOMBOX_HTTP='${printable(raw)}' is invalid: expected off, a port 1-65535, or host:port`);
    return undefined;
  }
  return { host: m[1] || '127.0.0.1', port };
}

function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}
