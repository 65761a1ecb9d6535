// Renders rootfs-overlay/boot/firmware/roombox-config.txt, the config.txt fragment the image
// includes, from the board profiles: I2C and the UART on, and for each board the firmware
// `gpio=` lines that hold its amplifier muted and disabled from power-on, before Linux runs.
// One image serves every board, so the board sections are commented out; `scripts/build-image
// --board <name>` (or a person editing the card) uncomments the one that fits.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardProfile, GpioLineSpec } from '../firmware/board/profile.js';

const ROOT = join(import.meta.dirname, '..');
export const BOOT_CONFIG = join(ROOT, 'rootfs-overlay', 'boot', 'firmware', 'roombox-config.txt');

/** The level that makes a line safe: mute asserted, enable and reset de-asserted... */
function safe(spec: GpioLineSpec, assert: boolean): 'dh' | 'dl' {
  const activeHigh = spec.active === 'high';
  return assert === activeHigh ? 'dh' : 'dl';
}

export function renderBootConfig(): string {
  const lines = [
    '# roombox: included from config.txt (`include roombox-config.txt`, added by scripts/build-image).',
    '# Generated from board/*.json by scripts/gen-boot-config.ts.',
    'dtparam=i2c_arm=on',
    'enable_uart=1',
    '',
    '# Hold the amplifier lines at their safe level from power-on (op = output, dl/dh = drive',
    '# low/high): muted and disabled until the firmware sequences the amp up. Uncomment the',
    '# section of your board (scripts/build-image --board <name> does it).',
  ];
  const dir = join(ROOT, 'board');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'profile.schema.json').sort()) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as BoardProfile;
    if (p.simulated) continue;
    const gpio: string[] = [];
    for (const z of p.zones) {
      // config.txt takes comments only on lines of their own.
      if (z.gpio.mute) gpio.push(`# zone ${z.name}: GPIO${z.gpio.mute.line} mute asserted`, `#gpio=${z.gpio.mute.line}=op,${safe(z.gpio.mute, true)}`);
      if (z.gpio.enable) gpio.push(`# zone ${z.name}: GPIO${z.gpio.enable.line} amp disabled`, `#gpio=${z.gpio.enable.line}=op,${safe(z.gpio.enable, false)}`);
    }
    lines.push('', `# board: ${p.name}`);
    lines.push(...(gpio.length ? gpio : ['# (no GPIO lines to hold)']));
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1]?.endsWith('gen-boot-config.ts')) {
  writeFileSync(BOOT_CONFIG, renderBootConfig());
  console.log(`wrote ${BOOT_CONFIG}`);
}
