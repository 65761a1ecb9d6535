import type { BoxContext } from '../context.js';
import { UpdateAgent } from './agent.js';
import { registerUpdateCommands } from './commands.js';

/**
 * The update agent, its commands and its Home Assistant `update` entity. The entity installs
 * through P/request, like the box's restart and selftest buttons.
 */
export function createUpdateExtensions(ctx: BoxContext): UpdateAgent {
  const agent = new UpdateAgent(ctx, ctx.version);
  registerUpdateCommands(ctx.commands, agent);
  ctx.discovery.add({
    key: 'firmware_update',
    platform: 'update',
    config: {
      name: 'Firmware',
      device_class: 'firmware',
      entity_category: 'config',
      state_topic: ctx.topics.update,
      command_topic: ctx.topics.request,
      payload_install: JSON.stringify({ id: 'homeassistant-update', line: 'update install' }),
    },
  });
  return agent;
}
