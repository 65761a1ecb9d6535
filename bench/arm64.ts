// arm64 under qemu: boots the card image (this tree's bundle written into the Debian 13 arm64
// base by scripts/build-image) with systemd under qemu-system-aarch64 (cortex-a72, software
// emulation), once per memory size, and inside each VM measures (bench/arm64-guest/driver.mjs):
// start-up to retained `online` of the box against a bare mqtt.js client in the same VM,
// alternating, median of BENCH_ARM64_RUNS after a warm-up; RSS of both after BENCH_ARM64_RSS_S
// seconds side by side on the sim board; what the VM has left (MemAvailable).
// Only run when asked: `BENCH_ONLY=arm64 npm run bench` or `npx tsx bench/arm64.ts`.
//   BENCH_ARM64_MEM=1024,512  VM sizes in MB      BENCH_ARM64_RUNS=5   start-up runs per VM
//   BENCH_ARM64_RSS_S=300     RSS run length      BENCH_ARM64_WORK     cache (kernel, base, image)
//   BENCH_ARM64_BUNDLE        a bundle to use instead of running scripts/build-bundle
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { spawnChild } from '../test/helpers/children.js';
import { Mosquitto } from '../test/helpers/mosquitto.js';
import { emitRow, median, printTable, round, type BenchRow } from './stats.js';

const ROOT = join(import.meta.dirname, '..');
const WORK = process.env.BENCH_ARM64_WORK ?? '/var/tmp/roombox-arm64-bench';
const SIZES = (process.env.BENCH_ARM64_MEM ?? '1024,512').split(',').map(Number);
const RUNS = Number(process.env.BENCH_ARM64_RUNS ?? 5);
const RSS_S = Number(process.env.BENCH_ARM64_RSS_S ?? 300);
/** What a board needs left beside the box: an update's download and unpack, the journal, a shell. */
const HEADROOM_MB = 128;

interface MemInfo {
  totalMb: number;
  availableMb: number;
  free: string;
}
interface GuestResult {
  ok: boolean;
  error?: string;
  node: string;
  flags: string[];
  console?: string;
  bareMs: number[];
  boxMs: number[];
  boot: MemInfo;
  idle: MemInfo;
  running: MemInfo;
  boxOnly: MemInfo & { box: number };
  minAvailableMb: number;
  rssSamples: { t: number; box: number; bare: number; available: number }[];
}
interface Image {
  vmlinuz: string;
  initrd: string;
  image: string;
  root: string;
}

function log(msg: string): void {
  console.error(`[arm64] ${msg}`);
}

async function prepareImage(): Promise<Image> {
  const args = ['--work', WORK, '--guest', join(ROOT, 'bench', 'arm64-guest')];
  if (process.env.BENCH_ARM64_BUNDLE) args.push('--bundle', process.env.BENCH_ARM64_BUNDLE);
  const child = spawn(join(ROOT, 'bench', 'arm64-image.sh'), args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/arm64-image.sh failed (exit ${code})`);
  const vars = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return vars as unknown as Image;
}

/** Boots the image in a VM of `memMb`, waits for the driver's result on the broker. */
async function bootAndMeasure(img: Image, broker: Mosquitto, memMb: number): Promise<GuestResult & { bootS: number; totalS: number }> {
  const tag = `m${memMb}`;
  const sub = await mqtt.connectAsync(broker.url);
  await sub.publishAsync(`roombox-arm64-bench/${tag}/result`, '', { retain: true, qos: 1 });
  await sub.subscribeAsync(`roombox-arm64-bench/${tag}/#`, { qos: 1 });
  const consoleLog = join(WORK, `console-${tag}.log`);
  const append = [
    'console=ttyAMA0', `root=${img.root}`, 'panic=-1', 'loglevel=4',
    // A shared machine can stall the emulated boot past systemd's 90 s wait for the card's partitions.
    'systemd.default_device_timeout_sec=900', 'systemd.default_timeout_start_sec=900',
    'systemd.mask=roombox.service', 'systemd.wants=roombox-bench.service',
    `roombox_bench.broker=mqtt://10.0.2.2:${broker.port}`, `roombox_bench.runs=${RUNS}`, `roombox_bench.rss_s=${RSS_S}`, `roombox_bench.tag=${tag}`,
  ].join(' ');
  const started = performance.now();
  // -snapshot: the card image stays as built; each boot starts from the same first-boot state.
  const qemu: ChildProcess = spawnChild('qemu-system-aarch64', [
    '-M', 'virt', '-cpu', 'cortex-a72', '-smp', '2', '-m', String(memMb), '-nographic', '-no-reboot', '-snapshot',
    '-kernel', img.vmlinuz, '-initrd', img.initrd, '-append', append,
    '-drive', `file=${img.image},format=raw,if=virtio`,
    '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,romfile=', '-device', 'virtio-rng-pci',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(consoleLog);
  qemu.stdout!.pipe(out);
  qemu.stderr!.pipe(out);
  // Generous: on a machine shared with other work one emulated start of the box took over 2 minutes.
  const timeoutMs = (1200 + RUNS * 2 * 300 + RSS_S * 2) * 1000;
  let bootS = NaN;
  try {
    const result = await new Promise<GuestResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${tag}: no result within ${timeoutMs / 1000} s (console: ${consoleLog})`)), timeoutMs);
      qemu.once('exit', (code) => reject(new Error(`${tag}: the VM stopped (exit ${code}) before a result (console: ${consoleLog})`)));
      sub.on('message', (topic, payload) => {
        const text = payload.toString();
        if (topic.endsWith('/progress')) {
          if (Number.isNaN(bootS)) bootS = (performance.now() - started) / 1000;
          log(`${memMb} MB: ${text}`);
        } else if (topic.endsWith('/result') && text) {
          clearTimeout(timer);
          resolve(JSON.parse(text) as GuestResult);
        }
      });
    });
    if (!result.ok) throw new Error(`${tag}: the guest driver failed: ${result.error}`);
    return { ...result, bootS, totalS: (performance.now() - started) / 1000 };
  } finally {
    await sub.endAsync();
    if (qemu.exitCode === null) {
      // The driver powers the VM off; give it that chance before pulling the plug.
      const gone = new Promise((r) => qemu.once('exit', r));
      await Promise.race([gone, new Promise((r) => setTimeout(r, 60_000))]);
      if (qemu.exitCode === null) qemu.kill('SIGKILL');
    }
  }
}

function rowsFor(memMb: number, r: GuestResult & { bootS: number }): BenchRow[] {
  const vm = `qemu arm64 ${memMb} MB`;
  const box = median(r.boxMs);
  const bare = median(r.bareMs);
  const last = r.rssSamples.at(-1)!;
  const startup: BenchRow = {
    name: `${vm}: start-up to online (median of ${r.boxMs.length})`,
    ours: `${round(box / 1000, 2)} s`,
    reference: `${round(bare / 1000, 2)} s bare mqtt.js, same VM`,
    ratio: box / bare,
    target: '<= 1.5x',
    met: box / bare <= 1.5,
  };
  const rss: BenchRow = {
    name: `${vm}: RSS after ${RSS_S} s (sim board, metering)`,
    ours: `${last.box} MB`,
    reference: `${last.bare} MB bare mqtt.js, same VM`,
    ratio: last.box / last.bare,
    target: '<= bare + 10 MB',
    met: last.box <= last.bare + 10,
  };
  const left: BenchRow = {
    name: `${vm}: MemAvailable, box running`,
    ours: `${Math.round(r.boxOnly.availableMb)} of ${Math.round(r.boxOnly.totalMb)} MB`,
    reference: `${Math.round(r.idle.availableMb)} MB without the box`,
    ratio: r.boxOnly.availableMb / r.idle.availableMb,
    target: `>= ${HEADROOM_MB} MB`,
    met: r.boxOnly.availableMb >= HEADROOM_MB,
  };
  return [startup, rss, left];
}

export async function benchArm64(): Promise<BenchRow[]> {
  mkdirSync(WORK, { recursive: true });
  const t0 = performance.now();
  const img = await prepareImage();
  log(`image ready in ${Math.round((performance.now() - t0) / 1000)} s: ${img.image} (root ${img.root})`);
  const broker = await new Mosquitto().start();
  const rows: BenchRow[] = [];
  try {
    for (const memMb of SIZES) {
      const r = await bootAndMeasure(img, broker, memMb);
      log(`${memMb} MB: boot to driver ${Math.round(r.bootS)} s, whole VM run ${Math.round(r.totalS)} s; node ${r.node} ${r.flags.join(' ')}`);
      log(`${memMb} MB: start-up box ${r.boxMs.join(' ')} ms, bare ${r.bareMs.join(' ')} ms`);
      log(`${memMb} MB: RSS box/bare every 10 s: ${r.rssSamples.map((s) => `${s.box}/${s.bare}`).join(' ')}`);
      log(`${memMb} MB: free -m before the RSS run:\n${r.idle.free}`);
      log(`${memMb} MB: free -m with box and bare running:\n${r.running.free}`);
      log(`${memMb} MB: free -m with the box alone (RSS ${r.boxOnly.box} MB):\n${r.boxOnly.free}`);
      rows.push(...rowsFor(memMb, r));
    }
  } finally {
    await broker.dispose();
  }
  log(`total ${Math.round((performance.now() - t0) / 1000)} s`);
  return rows;
}

if (process.argv[1]?.endsWith('arm64.ts')) {
  const rows = await benchArm64();
  printTable(rows);
  for (const row of rows) emitRow(row);
}
