import type { BoardProfile } from './board/profile.js';
import type { Config } from './config/config.js';
import type { CoreContext } from './core/context.js';
import type { LogRing } from './core/logger.js';
import type { SafeModeView } from './core/safe-mode-view.js';
import type { DiscoveryRegistry } from './mqtt/discovery.js';
import type { MqttLink } from './mqtt/link.js';
import type { Publisher } from './mqtt/publisher.js';
import type { RetainedState } from './mqtt/retained.js';
import type { CommandRouter } from './mqtt/router.js';
import type { Topics } from './mqtt/topics.js';
import type { Outbox } from './outbox/outbox.js';
import type { SimProcTree } from './sim/proc-tree.js';
import type { Database } from './store/database.js';
import type { StateStore } from './store/state-store.js';

/** Everything a feature (zones, capture, console) is built from. Assembled once in app.ts. */
export interface BoxContext extends CoreContext {
  config: Config;
  profile: BoardProfile;
  version: string;
  logRing: LogRing;
  topics: Topics;
  link: MqttLink;
  router: CommandRouter;
  retained: RetainedState;
  discovery: DiscoveryRegistry;
  publisher: Publisher;
  outbox: Outbox;
  state: StateStore;
  /** The box's SQLite connection (valid once the store has started). */
  /** The box's database; undefined while persistence is off (a file from a newer firmware). */
  database: () => Database | undefined;
  /** Root under which proc/asound is read: ROOMBOX_PROC_ROOT, the sim tree's root, or '/'. */
  procRoot: string;
  /** The sim board's /proc tree, when the box keeps its own. */
  simTree?: SimProcTree;
  /** Safe mode (boot-loop protection): features that touch the amps or capture consult it at start. */
  safeMode: SafeModeView;
  /** Asks main to stop the process (exit code given) — used by `restart`. */
  requestExit(code: number): void;
}
