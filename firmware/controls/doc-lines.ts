import { typeText } from '../api/describe.js';
import type { ControlFeature } from './control.js';
import { commandPaths } from './mqtt-routes.js';
import { spellings, synopsis } from './parse.js';

/** The doc table rows of a feature's commands: topic, payload, console line, Home Assistant, meaning. */
export function controlDocRows<T>(feature: ControlFeature<T>): string[] {
  const n = `<${feature.noun}>`;
  const inSet = feature.controls.filter((c) => c.inSet);
  return commandPaths(feature, n).map(({ path, control: c }) => {
    if (!c) return `| \`P/${path}\` | JSON object with any of ${inSet.map((x) => `\`${x.key}\`: ${typeText(x.value)}`).join(', ')} | | | several controls at once, applied in this order |`;
    const payload = c.words ? spellings(c).map((w) => `\`${w}\``).join(', ') : typeText(c.value);
    const ha = c.ha ? `\`${c.ha.platform}\` ${c.ha.name}` : '';
    return `| \`P/${path}\` | ${payload} | \`${feature.noun} ${n} ${c.key} ${synopsis(c).replace(/\|/g, "\\|")}\` | ${ha} | ${c.help} |`;
  });
}
