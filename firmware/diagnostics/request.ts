import type { Response } from '../api/box.js';
import type { BoxContext } from '../context.js';
import { MAX_LINE_BYTES } from '../core/commands.js';
import { UserError } from '../core/errors.js';
import { parseJsonObject } from '../core/json.js';

/**
 * P/request {id, line} → P/response {id, ok, output, data?}: the console's registry over MQTT.
 * With MQTT 5, a request that carries a Response Topic is answered there, with its Correlation
 * Data; its `id` may then be left out.
 */
export function routeRequests(ctx: BoxContext): void {
  ctx.router.route('request', async (payload, _params, msg) => {
    const body = parseJsonObject(payload);
    const { id, line } = body;
    const answerElsewhere = msg.responseTopic !== undefined;
    if (id !== undefined || !answerElsewhere) {
      if (typeof id !== 'string' || id.length === 0) throw new UserError('id must be a non-empty string');
      if (id.length > 64) throw new UserError('id longer than 64 characters');
    }
    if (typeof line !== 'string') throw new UserError('line must be a string');
    if (Buffer.byteLength(line) > MAX_LINE_BYTES) throw new UserError(`line longer than ${MAX_LINE_BYTES} bytes`);
    const unknown = Object.keys(body).filter((k) => k !== 'id' && k !== 'line');
    if (unknown.length) throw new UserError(`unknown field(s): ${unknown.join(', ')}`);
    const result = await ctx.commands.execute(line, 'mqtt');
    const response: Response = { ...(typeof id === 'string' ? { id } : {}), ok: result.ok, output: result.output };
    if (result.data !== undefined) response.data = result.data;
    const text = JSON.stringify(response);
    const sent = answerElsewhere
      ? ctx.link.publish(msg.responseTopic!, text, { qos: 1, properties: msg.correlationData ? { correlationData: msg.correlationData } : {} })
      : ctx.link.publish(ctx.topics.response, text, { qos: 1 });
    sent.catch(() => {});
  });
}
