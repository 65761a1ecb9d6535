/**
 * Every ROOMBOX_* variable, in one place. This table is the single
 * source of truth: the loader validates against it (JSON Schema through ajv, after reading numbers
 * in plain decimal and booleans as true/false, never by coercion) and `scripts/gen-config-doc.ts`
 * renders docs/configuration.md from it.
 * Empty values count as unset.
 */
export type JsonSchema = Record<string, unknown>;

export interface VarSpec {
  name: string;
  schema: JsonSchema;
  /** Shown in the error line: what is allowed. */
  allowed: string;
  /** Default as documented (the loader applies computed defaults itself). */
  default: string;
  meaning: string;
  secret?: boolean;
}

const bool: JsonSchema = { type: 'boolean' };
const int = (minimum: number, maximum: number): JsonSchema => ({ type: 'integer', minimum, maximum });
const num = (minimum: number, maximum: number): JsonSchema => ({ type: 'number', minimum, maximum });
const str = (pattern?: RegExp): JsonSchema => (pattern ? { type: 'string', pattern: pattern.source } : { type: 'string' });
const oneOf = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });
const path: JsonSchema = { type: 'string', minLength: 1 };

export const BOX_ID_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const ZONE_NAME_RE = /^[a-z][a-z0-9_]{0,31}$/;
/** rsync's `user@host:/path`, or OpenSSH's URI form `ssh://user@host:port/path` (scp takes it too). */
export const UPLOAD_RE = /^(?:([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(\/\S*)|ssh:\/\/([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(\d{1,5})(\/\S*))$/;

export const VARS: readonly VarSpec[] = [
  { name: 'ROOMBOX_ID', schema: str(BOX_ID_RE), allowed: 'lower-case letters, digits and -, 1-32 characters, not starting with -', default: 'from the hostname', meaning: 'box id' },
  { name: 'ROOMBOX_BOARD', schema: str(/^[\w./-]+$/), allowed: 'a profile name from board/ or a path to a profile file', default: 'sim', meaning: 'board profile' },
  { name: 'ROOMBOX_MQTT_URL', schema: str(/^(mqtts?|wss?):\/\/[^\s]+$/), allowed: 'an mqtt://, mqtts://, ws:// or wss:// URL', default: 'unset: embedded broker', meaning: 'broker URL', secret: true },
  { name: 'ROOMBOX_MQTT_VERSION', schema: { type: 'integer', enum: [4, 5] }, allowed: '4 (MQTT 3.1.1) or 5', default: '4', meaning: 'MQTT protocol version' },
  { name: 'ROOMBOX_EMBEDDED_BROKER_PORT', schema: int(1, 65535), allowed: 'a port number 1-65535', default: '1883', meaning: 'port of the embedded broker on 127.0.0.1' },
  { name: 'ROOMBOX_MQTT_USERNAME', schema: str(), allowed: 'any string', default: 'unset', meaning: 'broker user name' },
  { name: 'ROOMBOX_MQTT_PASSWORD', schema: str(), allowed: 'any string', default: 'unset', meaning: 'broker password', secret: true },
  { name: 'ROOMBOX_MQTT_PASSWORD_FILE', schema: path, allowed: 'a readable file holding the password', default: 'unset', meaning: 'broker password, read from a file' },
  { name: 'ROOMBOX_MQTT_CA_FILE', schema: path, allowed: 'a readable PEM file', default: 'unset', meaning: 'CA certificate(s) to trust' },
  { name: 'ROOMBOX_MQTT_CERT_FILE', schema: path, allowed: 'a readable PEM file', default: 'unset', meaning: 'client certificate' },
  { name: 'ROOMBOX_MQTT_KEY_FILE', schema: path, allowed: 'a readable PEM file', default: 'unset', meaning: 'client key' },
  { name: 'ROOMBOX_TOPIC_PREFIX', schema: str(/^[^#+/\s\u0000]([^#+\s\u0000]*[^#+/\s\u0000])?$/), allowed: 'topic levels without +, # or spaces, not starting or ending with /', default: 'roombox', meaning: 'first topic level' },
  { name: 'ROOMBOX_HA_DISCOVERY', schema: bool, allowed: 'true or false', default: 'true', meaning: 'publish Home Assistant discovery' },
  { name: 'ROOMBOX_HA_PREFIX', schema: str(/^[^#+/\s]+$/), allowed: 'one topic level without +, # or spaces', default: 'homeassistant', meaning: 'discovery prefix' },
  { name: 'ROOMBOX_DATA_DIR', schema: path, allowed: 'a directory path', default: './data (device: /var/lib/roombox)', meaning: 'SQLite database and nothing else' },
  { name: 'ROOMBOX_CONSOLE', schema: str(/^(stdio|off|\/.+)$/), allowed: 'stdio, off, or a serial device path', default: 'stdio when stdin is a TTY, else off', meaning: 'where the console runs' },
  { name: 'ROOMBOX_CONSOLE_BAUD', schema: { type: 'integer', enum: [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] }, allowed: 'a standard baud rate 1200-921600', default: '115200', meaning: 'serial console speed, 8N1' },
  { name: 'ROOMBOX_TELEMETRY_S', schema: num(1, 86400), allowed: 'seconds, 1-86400', default: '60', meaning: 'telemetry period' },
  { name: 'ROOMBOX_LEVELS_HZ', schema: num(0, 50), allowed: '0-50 (0 turns level reports off)', default: '10', meaning: 'level reports per second per input' },
  { name: 'ROOMBOX_AMP_IDLE_S', schema: num(0, 86400), allowed: 'seconds, 0-86400', default: '600', meaning: 'auto mode: standby after this long without playback' },
  { name: 'ROOMBOX_SILENCE_DBFS', schema: num(-120, 0), allowed: 'dBFS, -120 to 0', default: '-60', meaning: 'silence alarm threshold' },
  { name: 'ROOMBOX_SILENCE_S', schema: num(0.1, 86400), allowed: 'seconds, 0.1-86400', default: '10', meaning: 'silence alarm hold time' },
  { name: 'ROOMBOX_QUIET_LUFS', schema: num(-120, 0), allowed: 'LUFS, -120 to 0', default: 'unset: no quiet alarm', meaning: 'quiet alarm: short-term loudness under this for ROOMBOX_SILENCE_S' },
  { name: 'ROOMBOX_OUTBOX_MAX', schema: int(10, 10_000_000), allowed: 'a whole number 10-10000000', default: '100000', meaning: 'messages kept while the broker is away' },
  { name: 'ROOMBOX_GPIO', schema: oneOf('auto', 'cdev', 'sysfs'), allowed: 'auto, cdev or sysfs', default: 'auto', meaning: 'GPIO backend: cdev (the kernel GPIO character device), sysfs (/sys/class/gpio through onoff), auto (cdev when /dev/gpiochip* exists, else sysfs)' },
  { name: 'ROOMBOX_RECORD', schema: oneOf('on', 'off'), allowed: 'on or off', default: 'off', meaning: 'on: every input records from start-up whenever it is present' },
  { name: 'ROOMBOX_RECORD_DIR', schema: path, allowed: 'a directory path', default: '<ROOMBOX_DATA_DIR>/recordings', meaning: 'where recordings are written (<room>/<YYYY-MM-DD>/<HH-MM-SS>.flac, UTC)' },
  { name: 'ROOMBOX_RECORD_SEGMENT_S', schema: int(1, 86400), allowed: 'whole seconds, 1-86400', default: '300', meaning: 'length of one recording file' },
  { name: 'ROOMBOX_RECORD_MIN_FREE_MB', schema: num(0, 10_000_000), allowed: 'megabytes, 0-10000000', default: '500', meaning: 'alarm when the recording disk has less free space' },
  { name: 'ROOMBOX_RECORD_UPLOAD', schema: str(UPLOAD_RE), allowed: 'user@host:/path, or ssh://user@host:port/path for another SSH port', default: 'unset: no off-box copy', meaning: 'copy each closed recording there with rsync over SSH' },
  { name: 'ROOMBOX_RECORD_UPLOAD_KEY_FILE', schema: path, allowed: 'a readable SSH private key file', default: 'unset: ssh\'s default keys', meaning: 'SSH key for the upload' },
  { name: 'ROOMBOX_PROC_ROOT', schema: path, allowed: 'a directory path', default: '/', meaning: 'root under which proc/asound is read, and proc/cmdline (the running slot) and the boot id by the update agent' },
  { name: 'ROOMBOX_HTTP', schema: str(/^(off|([A-Za-z0-9.-]+:|\[[0-9A-Fa-f:]+\]:)?\d{1,5})$/), allowed: 'off, a port, or host:port', default: '127.0.0.1:8080', meaning: "the box's web page (under systemd, a socket passed in LISTEN_FDS is used instead)" },
  { name: 'ROOMBOX_HTTP_PASSWORD_FILE', schema: path, allowed: "a readable file holding one line from 'roombox passwd'", default: 'unset: the page is read-only', meaning: 'salted scrypt hash of the web page password' },
  { name: 'ROOMBOX_UPDATE_URL', schema: str(/^https?:\/\/[^\s]+$/), allowed: 'an http:// or https:// URL', default: 'unset: no update checks', meaning: "the release channel's manifest.json (a trial boot is still committed)" },
  { name: 'ROOMBOX_UPDATE_CHECK_S', schema: int(60, 31_536_000), allowed: 'whole seconds, 60-31536000', default: '21600', meaning: 'seconds between update checks (also checked at start)' },
  { name: 'ROOMBOX_UPDATE_CONFIRM_S', schema: int(1, 86400), allowed: 'whole seconds, 1-86400', default: '300', meaning: 'a trial boot of a new slot must be online and pass selftest within this, else the box falls back' },
  { name: 'ROOMBOX_UPDATE_GUARD_MARGIN_S', schema: int(0, 86400), allowed: 'whole seconds, 0-86400', default: '60', meaning: 'read by the tryboot guard (not the firmware): it gives a trial ROOMBOX_UPDATE_CONFIRM_S plus this before it reboots to the committed slot' },
  { name: 'ROOMBOX_UPDATE_KEY', schema: path, allowed: 'a PEM file (ed25519 public key, SPKI)', default: '/opt/roombox/update-key.pub', meaning: "the key a release's manifest must be signed with" },
  { name: 'ROOMBOX_UPDATE_DISK', schema: path, allowed: 'a block device (or, for tests, a path prefix of plain files)', default: '/dev/mmcblk0', meaning: 'the card: partition N is <disk>pN when the name ends in a digit, else <disk>N' },
  { name: 'ROOMBOX_UPDATE_AUTOBOOT_DIR', schema: path, allowed: 'a directory path', default: '/boot/autoboot', meaning: 'where the partition holding autoboot.txt is mounted' },
  { name: 'ROOMBOX_UPDATE_STATE_DIR', schema: path, allowed: 'a directory path', default: '<ROOMBOX_DATA_DIR>/update', meaning: "the update agent's state (pending.json, last.json, rollback-reason, reboot-request)" },
  { name: 'ROOMBOX_UPDATE_REBOOT_CMD', schema: str(/\S/), allowed: 'a command line (split at spaces); tryboot or normal is appended', default: 'unset: write <state dir>/reboot-request for roombox-reboot.path', meaning: 'how the agent reboots' },
  { name: 'ROOMBOX_LOG_LEVEL', schema: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), allowed: 'trace, debug, info, warn, error, fatal or silent', default: 'info', meaning: 'log level (JSON lines on stdout)' },
];

/** Per-zone variables, ROOMBOX_ZONE_<ZONE>_<FIELD>. */
export const ZONE_VARS = {
  MAX_VOLUME: { schema: int(0, 100), allowed: 'a whole number 0-100', default: 'from the profile', meaning: 'volume cap of the zone' },
  PLAYER: {
    schema: str(/^(mopidy:\/\/[^\s/:]+:\d{1,5}\/?|snapcast:\/\/[^\s/:]+:\d{1,5}\/[^\s/]+)$/),
    allowed: 'mopidy://host:port or snapcast://host:port/<client-id>',
    default: 'unset',
    meaning: "the zone's music player",
  },
  VOLUME_SYNC: { schema: oneOf('off', 'player'), allowed: 'off or player', default: 'off', meaning: 'player: the player owns the volume number' },
} as const;

export type ZoneVarField = keyof typeof ZONE_VARS;
