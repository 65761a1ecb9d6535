import type { PublishedEvent } from '../api/index.js';
import { redactedConfig } from '../config/load.js';
import type { CommandRegistry } from '../core/commands.js';
import { UserError } from '../core/errors.js';
import type { BoxContext } from '../context.js';

function count(arg: string | undefined, fallback: number, max: number): number {
  if (arg === undefined) return fallback;
  if (!/^\d+$/.test(arg)) throw new UserError(`expected a count 1-${max}, got '${arg}'`);
  return Math.min(max, Math.max(1, Number(arg)));
}

function eventLine(e: PublishedEvent): string {
  const about = 'zone' in e ? ` zone=${e.zone}` : 'input' in e ? ` input=${e.input}` : '';
  return `${e.seq} ${e.ts} ${e.type}${about}${'detail' in e ? ` ${JSON.stringify(e.detail)}` : ''}`;
}

/** The box-wide diagnostics commands (features register their own). */
export function registerDiagnostics(ctx: BoxContext, startedAt: number): void {
  const r: CommandRegistry = ctx.commands;
  const uptime = () => Math.round((ctx.clock.now() - startedAt) / 1000);

  r.register({
    words: ['help'],
    args: '[command]',
    summary: 'list the commands, or show one',
    readOnly: true,
    run: ([word]) => {
      const defs = r.list().filter((d) => !word || d.words[0] === word);
      if (defs.length === 0) throw new UserError(`unknown command '${word}' (try 'help')`);
      return {
        text: [...r.help(defs), ...(word ? [] : ['read commands take --json'])].join('\n'),
        data: defs.map((d) => ({ usage: r.usage(d), summary: d.summary, readOnly: d.readOnly, forms: d.forms ?? [] })),
      };
    },
  });

  r.register({
    words: ['version'],
    summary: 'firmware version',
    readOnly: true,
    run: () => ({ text: `roombox ${ctx.version}`, data: { version: ctx.version, node: process.version } }),
  });

  r.register({
    words: ['mqtt'],
    summary: 'broker link: url, connected, reconnects, last error',
    readOnly: true,
    run: () => {
      const l = ctx.link;
      const data = {
        url: (ctx.config.mqtt.url ?? `embedded 127.0.0.1:${ctx.config.mqtt.embeddedPort}`).replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@'),
        connected: l.connected,
        connected_since: l.connectedSince ? new Date(l.connectedSince).toISOString() : null,
        reconnects: l.reconnects,
        last_error: l.lastError ?? null,
        recent_backoff_ms: l.recentDelays,
        topic_base: ctx.topics.base,
        rejected_commands: ctx.router.rejected,
      };
      return { text: Object.entries(data).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : v}`).join('\n'), data };
    },
  });

  r.register({
    words: ['outbox'],
    summary: 'messages waiting for the broker, delivered, dropped, last seq',
    readOnly: true,
    run: () => {
      const s = ctx.outbox.stats();
      return { text: Object.entries(s).map(([k, v]) => `${k}: ${v}`).join('\n'), data: s };
    },
  });

  r.register({
    words: ['events'],
    args: '[n]',
    summary: 'the last n events (default 10)',
    readOnly: true,
    run: ([n]) => {
      const events = ctx.publisher.recentEvents(count(n, 10, 200));
      return {
        text: events.map(eventLine).join('\n') || '(no events yet)',
        data: events,
      };
    },
  });

  r.register({
    words: ['log'],
    args: '[n]',
    summary: 'the last n log lines (default 20)',
    readOnly: true,
    run: ([n]) => {
      const lines = ctx.logRing.last(count(n, 20, 200));
      return { text: lines.join('\n') || '(no log lines)', data: lines.map((l) => JSON.parse(l) as unknown) };
    },
  });

  r.register({
    words: ['config'],
    summary: 'the configuration in force (secrets as ***)',
    readOnly: true,
    run: () => {
      const c = redactedConfig(ctx.config);
      return { text: JSON.stringify(c, null, 2), data: c };
    },
  });

  r.register({
    words: ['status'],
    summary: 'everything at a glance: version, uptime, board, broker, zones, inputs, outbox, slot, errors',
    readOnly: true,
    run: () => {
      const zones = Object.fromEntries(ctx.profile.zones.map((z) => [z.name, ctx.retained.value(ctx.topics.zoneState(z.name)) ?? null]));
      const inputs = Object.fromEntries(ctx.profile.inputs.map((i) => [i.name, ctx.retained.value(ctx.topics.inputState(i.name)) ?? null]));
      const errors = ctx.logRing
        .last(200)
        .map((l) => JSON.parse(l) as { level: string; time: string; msg: string })
        .filter((l) => l.level === 'error' || l.level === 'fatal' || l.level === 'warn')
        .slice(-5);
      const o = ctx.outbox.stats();
      const u = ctx.retained.value(ctx.topics.update);
      const update = u ? { running_slot: u.running_slot, committed_slot: u.committed_slot, trial: u.trial, latest_version: u.latest_version, in_progress: u.in_progress } : null;
      const data = {
        id: ctx.config.id,
        version: ctx.version,
        board: ctx.profile.name,
        uptime_s: uptime(),
        mqtt: { connected: ctx.link.connected, reconnects: ctx.link.reconnects, last_error: ctx.link.lastError ?? null },
        zones,
        inputs,
        outbox: { depth: o.depth, dropped: o.dropped, last_seq: o.lastSeq },
        update,
        last_errors: errors,
      };
      const zoneLines = Object.entries(zones).map(([n, s]) => `  ${n}: ${s ? `power=${s.power} mode=${s.mode} playing=${s.playing} volume=${s.volume} (${s.volume_db} dB) mute=${s.mute} fault=${s.fault}` : 'no state yet'}`);
      const inputLines = Object.entries(inputs).map(([n, s]) => `  ${n}: ${s ? `present=${s.present} capturing=${s.capturing} alarm=${s.alarm}` : 'no state yet'}`);
      const text = [
        `roombox ${data.version}  id ${data.id}  board ${data.board}  up ${data.uptime_s} s`,
        `mqtt: ${data.mqtt.connected ? 'connected' : 'DISCONNECTED'}, ${data.mqtt.reconnects} reconnects${data.mqtt.last_error ? `, last error: ${data.mqtt.last_error}` : ''}`,
        `zones:${zoneLines.length ? '' : ' none'}`,
        ...zoneLines,
        `inputs:${inputLines.length ? '' : ' none'}`,
        ...inputLines,
        `outbox: ${o.depth} waiting, ${o.dropped} dropped, last seq ${o.lastSeq}`,
        `slot: ${!update?.running_slot ? 'not an A/B card' : `running ${update.running_slot}, committed ${update.committed_slot ?? '?'}${update.trial ? ', TRIAL boot' : ''}`}${update?.latest_version ? `, latest ${update.latest_version}` : ''}${update?.in_progress ? ', updating' : ''}`,
        `last errors: ${errors.length ? '' : 'none'}`,
        ...errors.map((e) => `  ${e.time} ${e.level} ${e.msg}`),
      ].join('\n');
      return { text, data };
    },
  });

  r.register({
    words: ['selftest'],
    summary: 'check chips, GPIO lines, database and broker: PASS/FAIL per item',
    readOnly: true,
    run: async () => {
      const results = await ctx.selftest.runAll();
      const ok = results.every((x) => x.ok);
      return {
        text: [...results.map((x) => `${x.ok ? 'PASS' : 'FAIL'}  ${x.name}: ${x.detail}`), ok ? 'selftest: PASS' : 'selftest: FAIL'].join('\n'),
        data: { ok, results },
      };
    },
  });

  r.register({
    words: ['restart'],
    summary: 'restart the firmware (systemd starts it again)',
    readOnly: false,
    run: () => {
      // An orderly stop with exit 0; the unit's Restart=always starts the box again.
      setTimeout(() => ctx.requestExit(0), 200);
      return { text: 'restarting' };
    },
  });

  ctx.selftest.register({
    name: 'broker reachable',
    run: async () => {
      if (!ctx.link.connected) return { ok: false, detail: ctx.link.lastError ?? 'not connected' };
      const t0 = Date.now();
      await ctx.link.publish(`${ctx.topics.base}/selftest`, String(t0), { qos: 1 });
      return { ok: true, detail: `publish acknowledged in ${Date.now() - t0} ms` };
    },
  });
}
