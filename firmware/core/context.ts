import type { Clock } from './clock.js';
import type { EventBus } from './bus.js';
import type { CommandRegistry } from './commands.js';
import type { Logger } from './logger.js';
import type { SelfTestRegistry } from './selftest.js';

/** What every feature module gets: the box-wide services, none of them tied to a transport. */
export interface CoreContext {
  bus: EventBus;
  clock: Clock;
  log: Logger;
  commands: CommandRegistry;
  selftest: SelfTestRegistry;
}
