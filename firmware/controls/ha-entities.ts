import type { ControlFeature, Platform } from './control.js';

/** One Home Assistant entity: `config` holds the platform's options (without p and unique_id). */
export interface Component {
  /** Unique within the box; unique_id becomes roombox_<id>_<key>. */
  key: string;
  platform: Platform;
  config: Record<string, unknown>;
}

/** The entities of one target's controls: `<name>_<key>`, reading `stateTopic`, commanding `<key>/set`. */
export function controlEntities<T>(feature: ControlFeature<T>, name: string, topics: { state: string; command: (key: string) => string }): Component[] {
  const label = feature.label(name);
  return feature.controls.flatMap((c) =>
    c.ha ? [{ key: `${name}_${c.key}`, platform: c.ha.platform, config: { name: `${label} ${c.ha.name}`, state_topic: topics.state, command_topic: topics.command(c.key), ...c.ha.options } }] : [],
  );
}
