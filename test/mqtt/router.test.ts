import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Received } from '../helpers/mqtt-probe.js';
import { startInProcessBox } from '../helpers/in-process-box.js';
import { UserError as CommandRejected } from '../../firmware/core/errors.js';
import { parseJsonObject } from '../../firmware/core/json.js';
import { brokerWithProbe } from '../helpers/broker-with-probe.js';

describe('command router', { timeout: 300_000 }, () => {
  const mq = brokerWithProbe(['roombox/testbox/#']);
  const broker = mq.broker;

  it('turns every rejected command into exactly one P/error and runs nothing for it', async () => {
    const box = await startInProcessBox({ env: { ROOMBOX_MQTT_URL: broker.url } });
    const applied: number[] = [];
    box.app.ctx.router.route('thing/+/level/set', (payload, [thing]) => {
      if (thing !== 'lamp') throw new CommandRejected(`unknown thing '${thing}'`);
      const body = parseJsonObject(payload);
      if (typeof body.level !== 'number' || body.level < 0 || body.level > 100) throw new CommandRejected('level must be a number 0-100');
      applied.push(body.level);
    });
    try {
      await mq.probe.waitFor((m) => m.topic === 'roombox/testbox/status' && m.payload === 'online');
      // The box subscribed for the late route before it answers this, and the broker took that in order.
      await mq.probe.marker('roombox/testbox');
      const start = mq.probe.mark();
      const bad: [string, string | Buffer][] = [
        ['roombox/testbox/thing/lamp/level/set', 'not json'],
        ['roombox/testbox/thing/lamp/level/set', ''],
        ['roombox/testbox/thing/lamp/level/set', '[1,2]'],
        ['roombox/testbox/thing/lamp/level/set', '{"level":"high"}'],
        ['roombox/testbox/thing/lamp/level/set', '{"level":101}'],
        ['roombox/testbox/thing/sofa/level/set', '{"level":5}'],
        ['roombox/testbox/thing/lamp/level/set', Buffer.alloc(70 * 1024, 0x7b)],
      ];
      for (const [t, p] of bad) await mq.probe.publish(t, p);
      await mq.probe.publish('roombox/testbox/thing/lamp/level/set', '{"level":42}');
      const isRejected = (m: Received) => m.topic === 'roombox/testbox/event' && JSON.parse(m.payload).type === 'command_rejected';
      // Events go through the outbox and may trail the errors; the marker then shows nothing more came.
      await mq.probe.waitCount(start, isRejected, bad.length, 15_000, `${bad.length} command_rejected events`);
      await mq.probe.marker('roombox/testbox');
      const errors = mq.probe.since(start, 'roombox/testbox/error').map((m) => JSON.parse(m.payload) as { ts: string; topic: string; error: string; payload: string });
      assert.equal(errors.length, bad.length, JSON.stringify(errors));
      assert.deepEqual(applied, [42]);
      assert.match(errors[5]!.error, /unknown thing 'sofa'/);
      assert.match(errors[6]!.error, /exceeds the 65536-byte limit/);
      assert.equal(Buffer.byteLength(errors[6]!.payload), 256, 'payload cut at 256 bytes');
      for (const e of errors) assert.match(e.ts, /Z$/);
      assert.equal(mq.probe.since(start).filter(isRejected).length, bad.length);
    } finally {
      await box.stop();
    }
  });
});
