import type { BoardProfile, ZoneProfile } from '../../firmware/board/profile.js';
import { AlsaMixer } from '../../firmware/chips/alsa-mixer.js';
import { ManualClock } from '../../firmware/core/clock.js';
import { formatEntry } from '../../firmware/hal/hardware-log.js';
import { MemoryStateStore } from '../../firmware/store/state-store.js';
import { BoardHardware } from '../../firmware/zones/hardware.js';
import { Zone } from '../../firmware/zones/zone.js';
import type { ZoneStateMessage } from '../helpers/box-api.js';

export const baseZone = (over: Partial<ZoneProfile> = {}): ZoneProfile => ({
  name: 'living',
  playback: { card: 0, device: 0 },
  amp: { chip: 'pcm512x', bus: 1, address: 0x4c },
  gpio: { enable: { line: 17, active: 'high' }, mute: { line: 22, active: 'low' } },
  settleMs: 200,
  volumeDb: { min: -60, max: 0 },
  maxVolume: 90,
  defaultVolume: 30,
  ...over,
});

/** A zone on the simulated hardware with a manual clock; `ops` is every hardware operation as text. */
export function zoneRig(zp: ZoneProfile, opts: { idleS?: number; maxVolume?: number; store?: MemoryStateStore } = {}) {
  const clock = new ManualClock();
  const profile: BoardProfile = { name: 't', description: 't', simulated: true, zones: [zp], inputs: [] };
  const hw = new BoardHardware(profile, clock);
  const ops: string[] = [];
  hw.log.onEntry((e) => ops.push(formatEntry(e).replace(/^#\d+ /, '')));
  const amixerCalls: string[][] = [];
  const chip =
    zp.amp.chip === 'alsa-mixer'
      ? new AlsaMixer(zp.amp.mixerCard!, zp.amp.mixerControl!, async (args) => {
          ops.push(`amixer ${args.join(' ')}`);
          amixerCalls.push(args);
          const set = amixerCalls.filter((a) => a.includes('sset') && /dB$/.test(a[a.length - 1]!)).pop();
          const db = set ? Number(set[set.length - 1]!.replace('dB', '')) : 0;
          return `Simple mixer control '${zp.amp.mixerControl}',0\n  Front Left: Playback 100 [50%] [${db.toFixed(2)}dB]\n  Front Right: Playback 100 [50%] [${db.toFixed(2)}dB]\n`;
        })
      : hw.chip(zp);
  const states: ZoneStateMessage[] = [];
  const events: { type: string; detail?: Record<string, unknown> }[] = [];
  const store = opts.store ?? new MemoryStateStore();
  const errors: string[] = [];
  const zone = new Zone({
    profile: zp,
    chip,
    lines: hw.openLines(zp),
    clock,
    store,
    maxVolume: opts.maxVolume ?? zp.maxVolume,
    idleS: opts.idleS ?? 600,
    onState: (s) => states.push(s),
    onEvent: (type, detail) => events.push({ type, detail: detail as Record<string, unknown> | undefined }),
    onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`),
  });
  /** Runs an async zone call while the manual clock moves, and returns the ops it caused. */
  const act = async <T>(fn: () => Promise<T>, ms = 2000): Promise<string[]> => {
    const from = ops.length;
    const p = fn();
    await clock.advanceAsync(ms, 5);
    await p;
    return ops.slice(from);
  };
  return { clock, hw, ops, zone, states, events, store, errors, act, last: () => states[states.length - 1]! };
}

/** Every enable-line change in `ops` happens while the mute line is asserted. */
export function assertMuteWrapsEnable(ops: string[], zp: ZoneProfile): void {
  const enable = zp.gpio.enable;
  const mute = zp.gpio.mute;
  if (!enable || !mute) return;
  const muteActive = mute.active === 'high' ? '1' : '0';
  let muted = true; // lines open muted
  for (const op of ops) {
    const m = /^line (\d+) <- ([01])$/.exec(op);
    if (!m) continue;
    if (Number(m[1]) === mute.line) muted = m[2] === muteActive;
    if (Number(m[1]) === enable.line && !muted) throw new Error(`enable line changed while unmuted: ${ops.join(' | ')}`);
  }
}
