/** The typed, frozen configuration of one box. Built once by loadConfig(). */
export interface ZoneEnv {
  maxVolume?: number;
  player?: string;
  volumeSync: 'off' | 'player';
}

export interface RecordConfig {
  /** ROOMBOX_RECORD=on: every input records from start-up. */
  atStart: boolean;
  dir: string;
  segmentS: number;
  minFreeMb: number;
  /** ROOMBOX_RECORD_UPLOAD taken apart; undefined: no off-box copy. */
  upload?: { user: string; host: string; port: number; path: string };
  uploadKeyFile?: string;
}

export interface UpdateConfig {
  /** undefined: no update checks. */
  url?: string;
  checkS: number;
  confirmS: number;
  keyFile: string;
  disk: string;
  autobootDir: string;
  stateDir: string;
  /** A command prefix (argv); undefined: write the reboot-request file. */
  rebootCmd?: string[];
}

export interface Config {
  id: string;
  board: string;
  mqtt: {
    /** undefined: start the embedded broker. */
    url?: string;
    version: 4 | 5;
    embeddedPort: number;
    username?: string;
    password?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
  };
  topicPrefix: string;
  haDiscovery: boolean;
  haPrefix: string;
  dataDir: string;
  console: { target: 'stdio' | 'off' | string; baud: number };
  telemetryS: number;
  levelsHz: number;
  ampIdleS: number;
  silenceDbfs: number;
  silenceS: number;
  /** ROOMBOX_QUIET_LUFS: the quiet alarm's short-term loudness threshold; undefined turns it off. */
  quietLufs?: number;
  outboxMax: number;
  /** GPIO backend; auto picks cdev when /dev/gpiochip* exists. */
  gpio: 'auto' | 'cdev' | 'sysfs';
  record: RecordConfig;
  /** Explicit proc root; undefined means '/' except on the sim board (own temporary tree). */
  procRoot?: string;
  /** The web page: undefined when ROOMBOX_HTTP=off. */
  http?: { host: string; port: number };
  /** The stored scrypt line of `roombox passwd`; undefined: the page is read-only. */
  httpPasswordHash?: string;
  update: UpdateConfig;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Keyed by lower-case zone name. */
  zones: Readonly<Record<string, ZoneEnv>>;
}

/** The configuration error: exit code 78 (EX_CONFIG), one line per problem on stderr. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export const EXIT_CONFIG = 78;
