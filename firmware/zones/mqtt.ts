import type { BoxContext } from '../context.js';
import { CommandRejected, parseJsonObject } from '../mqtt/router.js';
import { ZoneChipError, ZoneFaultError, type Mode, type Zone } from './zone.js';

/** A validated zone command: every field checked before anything changes. */
export interface ZoneCommand {
  power?: 'on' | 'off' | 'auto';
  volume?: number;
  mute?: boolean;
  mode?: Mode;
}

const POWER = ['on', 'off', 'auto'];

function volumeFrom(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new CommandRejected(`${where} must be a number 0-100`);
  if (value < 0 || value > 100) throw new CommandRejected(`${where} ${value} is out of range 0-100`);
  return value;
}

/** Parses the JSON `set` payload: any of power, volume, mute; nothing else. */
export function parseSet(payload: Buffer): ZoneCommand {
  const obj = parseJsonObject(payload);
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new CommandRejected('empty command: expected any of power, volume, mute');
  const unknown = keys.filter((k) => !['power', 'volume', 'mute'].includes(k));
  if (unknown.length) throw new CommandRejected(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k.slice(0, 32)}'`).join(', ')}: expected power, volume, mute`);
  const cmd: ZoneCommand = {};
  if ('power' in obj) {
    if (typeof obj.power !== 'string' || !POWER.includes(obj.power.toLowerCase())) throw new CommandRejected('power must be "on", "off" or "auto"');
    cmd.power = obj.power.toLowerCase() as ZoneCommand['power'];
  }
  if ('volume' in obj) cmd.volume = volumeFrom(obj.volume, 'volume');
  if ('mute' in obj) {
    if (typeof obj.mute !== 'boolean') throw new CommandRejected('mute must be true or false');
    cmd.mute = obj.mute;
  }
  return cmd;
}

function text(payload: Buffer): string {
  const t = payload.toString('utf8').trim();
  if (t.length === 0) throw new CommandRejected('empty payload');
  return t;
}

export function parsePowerSet(payload: Buffer): ZoneCommand {
  const t = text(payload).toLowerCase();
  if (!POWER.includes(t)) throw new CommandRejected('expected ON, OFF or AUTO');
  return { power: t as ZoneCommand['power'] };
}

export function parseVolumeSet(payload: Buffer): ZoneCommand {
  const t = text(payload);
  if (!/^-?\d+(\.\d+)?$/.test(t)) throw new CommandRejected('expected a number 0-100');
  return { volume: volumeFrom(Number(t), 'volume') };
}

export function parseMuteSet(payload: Buffer): ZoneCommand {
  const t = text(payload).toLowerCase();
  if (t !== 'on' && t !== 'off') throw new CommandRejected('expected ON or OFF');
  return { mute: t === 'on' };
}

export function parseModeSet(payload: Buffer): ZoneCommand {
  const t = text(payload).toLowerCase();
  if (t !== 'auto' && t !== 'manual') throw new CommandRejected('expected auto or manual');
  return { mode: t };
}

/** Applies a validated command: power (or mode) first, then volume, then mute. */
export async function applyCommand(zone: Zone, cmd: ZoneCommand): Promise<void> {
  if (cmd.power !== undefined) await zone.setPower(cmd.power);
  if (cmd.mode !== undefined) await zone.setMode(cmd.mode);
  if (cmd.volume !== undefined) await zone.setVolume(cmd.volume);
  if (cmd.mute !== undefined) await zone.setMute(cmd.mute);
}

/** The zone command topics of CONTRACT section 3, plus mode/set for the mode select. */
export function routeZoneCommands(ctx: BoxContext, zones: Map<string, Zone>): void {
  const route = (suffix: string, parse: (p: Buffer) => ZoneCommand) =>
    ctx.router.route(`zone/+/${suffix}`, async (payload, [name]) => {
      const zone = zones.get(name!);
      if (!zone) throw new CommandRejected(`unknown zone '${name!.slice(0, 32)}' (zones: ${[...zones.keys()].join(', ') || 'none'})`);
      const cmd = parse(payload);
      if (cmd.power !== undefined && cmd.power !== 'off' && zone.faultLineActive) throw new CommandRejected(`zone ${zone.name}: amp fault is active; power stays off until the fault line clears`);
      try {
        await applyCommand(zone, cmd);
      } catch (err) {
        if (err instanceof ZoneFaultError || err instanceof ZoneChipError) throw new CommandRejected(err.message);
        throw err;
      }
    });
  route('set', parseSet);
  route('power/set', parsePowerSet);
  route('volume/set', parseVolumeSet);
  route('mute/set', parseMuteSet);
  route('mode/set', parseModeSet);
}
