import type { BoxContext } from '../context.js';
import { UserError } from '../core/errors.js';
import type { Extension } from '../core/extension.js';
import type { SafeMode } from './safe-mode.js';

/** One line for `status` and `safe-mode`. */
export function safeModeLine(s: { active: boolean; uncleanStarts: number; after: number }): string {
  if (s.active) return `SAFE MODE: ${s.uncleanStarts} unclean starts in a row; amps muted and off, capture and recording stopped ('safe-mode off' ends it)`;
  return `safe mode: off (${s.uncleanStarts} unclean starts in a row${s.after > 0 ? `, safe mode after ${s.after}` : ', safe mode disabled'})`;
}

/**
 * The doors to safe mode: `safe-mode` and `safe-mode off` (console and P/request), the Home
 * Assistant binary sensor (on P/diagnostics) and the button that sends `safe-mode off`.
 */
export class SafeModeControls implements Extension {
  readonly name = 'safe-mode-controls';

  constructor(
    private readonly ctx: BoxContext,
    private readonly safeMode: SafeMode,
  ) {}

  start(): void {
    const { ctx, safeMode } = this;
    const view = () => ({ active: safeMode.active, unclean_starts: safeMode.uncleanStarts, after: safeMode.after });
    ctx.commands.register({
      words: ['safe-mode'],
      summary: 'safe mode: on or off, and the unclean starts in a row',
      readOnly: true,
      run: (args) => {
        if (args.length > 0) throw new UserError(`usage: safe-mode [off]`);
        return { text: safeModeLine(safeMode), data: view() };
      },
    });
    ctx.commands.register({
      words: ['safe-mode', 'off'],
      summary: 'leave safe mode: zones, capture and recording run again; the count goes to 0',
      readOnly: false,
      run: async (args) => {
        if (args.length > 0) throw new UserError('usage: safe-mode off');
        if (!safeMode.active) throw new UserError(`the box is not in safe mode (${safeMode.uncleanStarts} unclean starts in a row); nothing changed`);
        await safeMode.leave('command');
        return { text: 'safe mode off: zones, capture and recording started again' };
      },
    });
    ctx.discovery.add({
      key: 'safe_mode',
      platform: 'binary_sensor',
      config: {
        name: 'Safe mode',
        state_topic: ctx.topics.diagnostics,
        value_template: "{{ 'ON' if value_json.safe_mode else 'OFF' }}",
        device_class: 'problem',
        icon: 'mdi:shield-alert',
        entity_category: 'diagnostic',
        json_attributes_topic: ctx.topics.diagnostics,
        json_attributes_template: '{{ {"unclean_starts": value_json.unclean_starts} | tojson }}',
      },
    });
    ctx.discovery.add({
      key: 'safe_mode_off',
      platform: 'button',
      config: { name: 'Leave safe mode', command_topic: ctx.topics.request, payload_press: JSON.stringify({ id: 'homeassistant-safe-mode-off', line: 'safe-mode off' }), icon: 'mdi:shield-off', entity_category: 'config' },
    });
  }

  stop(): void {}
}
