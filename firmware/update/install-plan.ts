import type { Slot } from '../api/update.js';
import type { Release } from './release.js';
import { partitionCapacity, type PartToWrite } from './slot-writer.js';
import { SLOT_PARTITIONS, otherSlot, partitionPath } from './slots.js';
import { UpdateError } from './update-error.js';
import { compareVersions } from './version-compare.js';

export interface InstallPlan {
  to: string;
  slot: Slot;
  parts: PartToWrite[];
}

/**
 * What installing a verified release means here, or the one reason it is refused: the version
 * order (no reinstall, a downgrade only when allowed, the release's min_version), and each part
 * fitting the other slot's partition.
 */
export async function planInstall(release: Release, o: { installed: string; running: Slot; disk: string; allowDowngrade: boolean }): Promise<InstallPlan> {
  const m = release.manifest;
  const order = compareVersions(m.version, o.installed);
  if (order === 0) throw new UpdateError(`${m.version} is already installed`);
  if (order < 0 && !o.allowDowngrade) throw new UpdateError(`${m.version} is older than the installed ${o.installed}: a downgrade needs --allow-downgrade`);
  if (m.min_version !== undefined && compareVersions(o.installed, m.min_version) < 0) {
    throw new UpdateError(`the installed ${o.installed} is below ${m.version}'s min_version ${m.min_version}: install an intermediate release first`);
  }
  const slot = otherSlot(o.running);
  const parts: PartToWrite[] = [];
  for (const name of ['boot', 'root'] as const) {
    const p = m.parts.find((x) => x.name === name);
    if (!p) throw new UpdateError(`the manifest has no ${name} part`);
    const device = partitionPath(o.disk, SLOT_PARTITIONS[slot][name]);
    const capacity = await partitionCapacity(device);
    if (p.size > capacity) throw new UpdateError(`part ${name} (${p.size} bytes) is larger than partition ${device} (${capacity} bytes)`);
    parts.push({ name, url: release.partUrl(p.file), size: p.size, sha256: p.sha256, device });
  }
  return { to: m.version, slot, parts };
}
