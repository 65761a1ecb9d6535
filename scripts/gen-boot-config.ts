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

/** The firmware's GPIO number: a BCM number, or a Raspberry Pi line name GPIO<n>. */
function bcmOf(line: number | string): number | undefined {
  if (typeof line === 'number') return line;
  const m = /^GPIO(\d+)$/.exec(line);
  return m ? Number(m[1]) : undefined;
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
      for (const [spec, what, asserted] of [[z.gpio.mute, 'mute asserted', true], [z.gpio.enable, 'amp disabled', false]] as const) {
        if (!spec) continue;
        const bcm = bcmOf(spec.line);
        if (bcm === undefined) gpio.push(`# zone ${z.name}: line "${spec.line}" (${what}) is not a SoC GPIO: config.txt cannot hold it`);
        else gpio.push(`# zone ${z.name}: GPIO${bcm} ${what}`, `#gpio=${bcm}=op,${safe(spec, asserted)}`);
      }
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
