// Renders rootfs-overlay/boot/firmware/roombox.env, the per-box settings file on the SD card's
// FAT partition, from firmware/config/schema.ts: every variable, commented out, with what it
// allows. `npx tsx scripts/gen-env-template.ts` rewrites it; a test fails when it drifts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VARS, ZONE_VARS } from '../firmware/config/schema.js';

export const ENV_TEMPLATE = join(import.meta.dirname, '..', 'rootfs-overlay', 'boot', 'firmware', 'roombox.env');

/** Values the systemd unit sets on a device where they differ from the development defaults. */
const DEVICE_DEFAULTS: Record<string, string> = {
  ROOMBOX_DATA_DIR: '/var/lib/roombox',
  ROOMBOX_CONSOLE: '/dev/serial0',
};

export function renderEnvTemplate(): string {
  const lines = [
    '# roombox settings for this box. One VARIABLE=value per line; remove the # to set one.',
    '# Edit this file on the SD card (FAT partition) before first boot, or later with',
    '#   sudo nano /boot/firmware/roombox.env && sudo systemctl restart roombox',
    '# An invalid value stops the firmware with exit code 78; `journalctl -u roombox` says which.',
    '# Full reference: /opt/roombox/docs/configuration.md',
    '',
  ];
  for (const v of VARS) {
    lines.push(`# ${v.meaning}. Allowed: ${v.allowed}. Default: ${DEVICE_DEFAULTS[v.name] ?? v.default}.`);
    lines.push(`#${v.name}=${DEVICE_DEFAULTS[v.name] ?? ''}`);
    lines.push('');
  }
  lines.push('# Per zone (<ZONE> is the zone name of the board profile, upper-cased, e.g. LIVING):');
  for (const [field, v] of Object.entries(ZONE_VARS)) {
    lines.push(`# ${v.meaning}. Allowed: ${v.allowed}. Default: ${v.default}.`);
    lines.push(`#ROOMBOX_ZONE_LIVING_${field}=`);
    lines.push('');
  }
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('gen-env-template.ts')) {
  writeFileSync(ENV_TEMPLATE, renderEnvTemplate());
  console.log(`wrote ${ENV_TEMPLATE}`);
}
