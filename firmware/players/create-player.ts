import type { PlayerOptions } from './connection.js';
import { MopidyPlayer } from './mopidy.js';
import { PlayerError, type Player } from './player.js';
import { SnapcastPlayer } from './snapcast.js';

export interface PlayerAddress {
  kind: 'mopidy' | 'snapcast';
  host: string;
  port: number;
  clientId?: string;
}

/** Parses `mopidy://host:port` or `snapcast://host:port/<client-id>` (ROOMBOX_ZONE_<ZONE>_PLAYER). */
export function parsePlayerUrl(url: string): PlayerAddress {
  const m = /^(mopidy|snapcast):\/\/([^\s/:]+):(\d{1,5})(?:\/([^\s/]*))?$/.exec(url);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw new PlayerError(`not a player URL: ${url} (want mopidy://host:port or snapcast://host:port/<client-id>)`);
  const kind = m[1] as PlayerAddress['kind'];
  const clientId = m[4] ? decodeURIComponent(m[4]) : undefined;
  if (kind === 'snapcast' && !clientId) throw new PlayerError(`${url}: a snapcast URL names the client: snapcast://host:port/<client-id>`);
  if (kind === 'mopidy' && clientId) throw new PlayerError(`${url}: a mopidy URL has no path`);
  return { kind, host: m[2]!, port, clientId };
}

/** The player a zone's URL names; not connected yet (call connect()). */
export function createPlayer(url: string, opts: PlayerOptions): Player {
  const a = parsePlayerUrl(url);
  return a.kind === 'mopidy' ? new MopidyPlayer(url, a.host, a.port, opts) : new SnapcastPlayer(url, a.host, a.port, a.clientId!, opts);
}
