import type { BoxContext } from '../context.js';
import { CommandRejected, parseJsonObject } from '../mqtt/router.js';
import { MAX_LINE_BYTES } from '../core/commands.js';

/** P/request {id, line} → P/response {id, ok, output, data?}: the console's registry over MQTT. */
export function routeRequests(ctx: BoxContext): void {
  ctx.router.route('request', async (payload) => {
    const body = parseJsonObject(payload);
    const { id, line } = body;
    if (typeof id !== 'string' || id.length === 0) throw new CommandRejected('id must be a non-empty string');
    if (id.length > 64) throw new CommandRejected('id longer than 64 characters');
    if (typeof line !== 'string') throw new CommandRejected('line must be a string');
    if (Buffer.byteLength(line) > MAX_LINE_BYTES) throw new CommandRejected(`line longer than ${MAX_LINE_BYTES} bytes`);
    const unknown = Object.keys(body).filter((k) => k !== 'id' && k !== 'line');
    if (unknown.length) throw new CommandRejected(`unknown field(s): ${unknown.join(', ')}`);
    const result = await ctx.commands.execute(line, 'mqtt');
    const response: Record<string, unknown> = { id, ok: result.ok, output: result.output };
    if (result.data !== undefined) response.data = result.data;
    await ctx.link.publish(ctx.topics.response, JSON.stringify(response), { qos: 1 }).catch(() => {});
  });
}
