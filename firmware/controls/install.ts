import type { CommandRegistry } from '../core/commands.js';
import { controlCommand, type ReadForm } from './console-command.js';
import type { ControlFeature } from './control.js';
import { controlEntities, type Component } from './ha-entities.js';
import { routeControls, type RouteSink } from './mqtt-routes.js';

/** The transports a feature's controls are derived onto. */
export interface ControlTransports {
  router: RouteSink;
  commands: CommandRegistry;
  discovery: { add(component: Component): void };
  topics: { sub(path: string): string };
}

/**
 * Derives every surface of a feature's controls from their declarations: the MQTT command
 * routes, the console command and its help, and (per target, via the returned function) the
 * Home Assistant entities.
 */
export function installControls<T>(t: ControlTransports, feature: ControlFeature<T>, read: ReadForm<T>): { addEntities(name: string, stateTopic: string): void } {
  routeControls(t.router, feature);
  t.commands.register(controlCommand(feature, read));
  return {
    addEntities(name, stateTopic) {
      const command = (key: string) => t.topics.sub(`${feature.noun}/${name}/${key}/set`);
      for (const c of controlEntities(feature, name, { state: stateTopic, command })) t.discovery.add(c);
    },
  };
}
