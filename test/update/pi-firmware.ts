// The Raspberry Pi firmware's part in the update tests: picks the boot partition of a card image
// the way the firmware does with autoboot.txt and the one-shot tryboot flag, reads that
// partition's config.txt for the kernel, initramfs and command line, and boots them under
// qemu-system-aarch64 (-M virt) with the card as the one virtio disk. qemu runs with -no-reboot,
// so every reboot of the guest ends the process and comes back here; the kernel's last console
// line says which reboot it was. The rules implemented are listed in docs/deploy.md ("The qemu
// harness").
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { atFileEnd } from '../helpers/file-guard.js';

const FAT_TYPES = new Set(['b', 'c', 'e', '6', '4', '1']);
/** The firmware reads at most this much of autoboot.txt. */
const AUTOBOOT_MAX = 512;

export interface Partition {
  number: number;
  start: number;
  size: number;
  type: string;
}

export interface BootChoice {
  partition: number;
  tryboot: boolean;
  configFile: string;
  kernel: string;
  initramfs?: string;
  cmdlineFile: string;
  cmdline: string;
}

export type EndReason = 'tryboot' | 'reboot' | 'poweroff' | 'power-cut';

export interface BootEnd {
  reason: EndReason;
  /** The argument of the reboot call ("0 tryboot"), if any. */
  command?: string;
  choice: BootChoice;
}

const sh = (cmd: string, args: string[]): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
};

export function partitions(card: string): Partition[] {
  const table = JSON.parse(sh('sfdisk', ['-J', card])).partitiontable as { partitions: { node: string; start: number; size: number; type: string }[] };
  return table.partitions.map((p) => ({ number: Number(/(\d+)$/.exec(p.node)![1]), start: p.start, size: p.size, type: p.type }));
}

/** A file of a FAT partition of the card, through mtools at the partition's byte offset. */
export function readFatFile(card: string, part: Partition, file: string): string | undefined {
  const r = spawnSync('mtype', ['-i', `${card}@@${part.start * 512}`, `::${file}`], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  return r.status === 0 ? r.stdout : undefined;
}

function copyFatFile(card: string, part: Partition, file: string, to: string): void {
  sh('mcopy', ['-o', '-n', '-i', `${card}@@${part.start * 512}`, `::${file}`, to]);
}

/** Settings of a config file under the firmware's section filters; `filter` says which pass. */
function settings(text: string, filter: (name: string) => boolean | undefined, include?: (file: string) => string | undefined): [string, string][] {
  const out: [string, string][] = [];
  // Filters of one type replace each other; filters of different types must all pass.
  let active = new Map<string, boolean>();
  const walk = (body: string) => {
    for (const raw of body.split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      if (!line) continue;
      const section = /^\[(.*)\]$/.exec(line);
      if (section) {
        const name = section[1]!.trim();
        if (name === 'all') active = new Map();
        else if (name === 'none') active.set('none', false);
        else active.set(name.split('=')[0]!, filter(name) ?? false);
        continue;
      }
      if ([...active.values()].some((v) => !v)) continue;
      const inc = /^include\s+(\S+)$/.exec(line);
      if (inc && include) {
        const body2 = include(inc[1]!);
        if (body2 !== undefined) walk(body2);
        continue;
      }
      const kv = /^([A-Za-z0-9_]+)\s*[= ]\s*(.*)$/.exec(line);
      if (kv) out.push([kv[1]!, kv[2]!.trim()]);
    }
  };
  walk(text);
  return out;
}

const last = (s: [string, string][], key: string) => s.filter(([k]) => k === key).pop()?.[1];

export class PiFirmware {
  /** The one-shot flag that `reboot "0 tryboot"` sets; cleared by the next boot whatever happens. */
  tryboot = false;
  /** A partition number given to reboot ("3 tryboot"); 0 = autoboot.txt decides. */
  rebootPartition = 0;
  readonly boots: BootChoice[] = [];

  constructor(
    readonly card: string,
    readonly work: string,
    readonly qemuArgs: string[] = [],
  ) {
    mkdirSync(work, { recursive: true });
  }

  /** What the firmware boots now (the flag as it is), without booting. */
  choose(): BootChoice {
    const parts = partitions(this.card);
    const tryboot = this.tryboot;
    const fat = parts.filter((p) => FAT_TYPES.has(p.type) && p.number <= 4);
    let autoboot: [string, string][] = [];
    const first = fat[0];
    const autobootText = first && readFatFile(this.card, first, 'autoboot.txt');
    if (autobootText !== undefined) {
      // autoboot.txt knows only [all], [none] and [tryboot].
      autoboot = settings(autobootText.slice(0, AUTOBOOT_MAX), (name) => (name === 'tryboot' ? tryboot : false));
    }
    const tryboot_a_b = last(autoboot, 'tryboot_a_b') === '1';
    let number = this.rebootPartition || Number(last(autoboot, 'boot_partition') ?? 0);
    if (number === 0) {
      // The default partition: the first bootable FAT partition.
      number = fat.find((p) => readFatFile(this.card, p, 'config.txt') !== undefined)?.number ?? 0;
    }
    const part = parts.find((p) => p.number === number);
    if (!part || !FAT_TYPES.has(part.type)) throw new Error(`pi-firmware: partition ${number} is not a FAT partition: nothing to boot`);
    const configFile = tryboot && !tryboot_a_b ? 'tryboot.txt' : 'config.txt';
    const config = readFatFile(this.card, part, configFile);
    if (config === undefined) throw new Error(`pi-firmware: partition ${number} has no ${configFile}: not bootable`);
    const filter = (name: string) => {
      if (name === 'tryboot') return tryboot;
      const bp = /^boot_partition=(\d+)$/.exec(name);
      if (bp) return Number(bp[1]) === number;
      return false;
    };
    const s = settings(config, filter, (file) => readFatFile(this.card, part, file));
    const kernel = last(s, 'kernel') ?? 'kernel8.img';
    const initramfs = last(s, 'initramfs')?.split(/\s+/)[0];
    const cmdlineFile = last(s, 'cmdline') ?? 'cmdline.txt';
    const cmdline = readFatFile(this.card, part, cmdlineFile);
    if (cmdline === undefined) throw new Error(`pi-firmware: partition ${number} has no ${cmdlineFile}`);
    return { partition: number, tryboot, configFile, kernel, initramfs, cmdlineFile, cmdline: cmdline.split('\n')[0]!.trim() };
  }

  /** Powers the box on: chooses, clears the one-shot flag, boots qemu. */
  start(): Boot {
    const choice = this.choose();
    const part = partitions(this.card).find((p) => p.number === choice.partition)!;
    this.tryboot = false;
    this.rebootPartition = 0;
    this.boots.push(choice);
    const n = this.boots.length;
    const kernel = join(this.work, `kernel-${n}`);
    copyFatFile(this.card, part, choice.kernel, kernel);
    const args = ['-M', 'virt', '-cpu', 'cortex-a72', '-smp', '2', '-m', '1024', '-nographic', '-no-reboot', '-kernel', kernel];
    if (choice.initramfs) {
      const initrd = join(this.work, `initrd-${n}`);
      copyFatFile(this.card, part, choice.initramfs, initrd);
      args.push('-initrd', initrd);
    }
    // The card: cache=unsafe spares the host's disk a sync for every guest flush. A SIGKILL of
    // qemu (the power cut) still loses exactly what the guest had not yet handed to qemu, since
    // what qemu wrote is in the host's page cache either way. Its own I/O thread keeps the card's
    // traffic off the thread the emulated CPUs need for their interrupts.
    args.push('-append', choice.cmdline, '-object', 'iothread,id=card-io', '-drive', `file=${this.card},format=raw,if=none,id=card,cache=unsafe`, '-device', 'virtio-blk-pci,drive=card,iothread=card-io');
    args.push('-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,romfile=', ...this.qemuArgs);
    const log = join(this.work, 'console.log');
    appendFileSync(log, `\n=== pi-firmware: boot ${n}: partition ${choice.partition}${choice.tryboot ? ' (tryboot)' : ''}, ${choice.configFile} -> ${choice.cmdlineFile}: ${choice.cmdline}\n`);
    const proc = spawn('qemu-system-aarch64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // A failing test must not leave the VM running.
    const forget = atFileEnd(() => proc.exitCode === null && proc.kill('SIGKILL'));
    proc.once('exit', forget);
    return new Boot(this, proc, choice, log);
  }

  /** Called when a boot ends: what the firmware keeps for the next one. */
  ended(reason: EndReason, command?: string): void {
    if (reason === 'tryboot') {
      this.tryboot = true;
      this.rebootPartition = Number(command!.trim().split(/\s+/)[0]) || 0;
    } else if (reason === 'reboot' && command) {
      this.rebootPartition = Number(command.trim().split(/\s+/)[0]) || 0;
    }
  }
}

export class Boot {
  console = '';
  readonly ended: Promise<BootEnd>;
  /** qemu has exited: the guest rebooted, powered off or lost its power. */
  exited = false;
  private cut = false;

  constructor(
    private readonly firmware: PiFirmware,
    private readonly proc: ChildProcess,
    readonly choice: BootChoice,
    log: string,
  ) {
    const take = (d: Buffer) => {
      const text = d.toString('utf8').replace(/\r/g, '');
      this.console += text;
      appendFileSync(log, text);
    };
    proc.stdout!.on('data', take);
    proc.stderr!.on('data', take);
    this.ended = new Promise((resolve) => {
      proc.once('exit', () => {
        this.exited = true;
        const restart = /reboot: Restarting system with command '([^']*)'/.exec(this.console);
        let reason: EndReason;
        if (this.cut) reason = 'power-cut';
        else if (restart && /\btryboot\b/.test(restart[1]!)) reason = 'tryboot';
        else if (/reboot: Restarting system/.test(this.console)) reason = 'reboot';
        else if (/reboot: Power down/.test(this.console)) reason = 'poweroff';
        else reason = 'power-cut';
        this.firmware.ended(reason, restart?.[1]);
        resolve({ reason, command: restart?.[1], choice });
      });
    });
  }

  /** Waits for a console line; fails early when the guest is gone. */
  async waitConsole(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    let gone = false;
    void this.ended.then(() => (gone = true));
    for (;;) {
      const m = pattern.exec(this.console.slice(from));
      if (m) return m;
      if (gone) throw new Error(`the guest ended before ${pattern}: ${this.console.slice(-3000)}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} on the console: ${this.console.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Pulls the power: SIGKILL to qemu, nothing flushed. */
  async powerCut(): Promise<BootEnd> {
    this.cut = true;
    this.proc.kill('SIGKILL');
    return this.ended;
  }

  async waitEnd(timeoutMs: number): Promise<BootEnd> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the guest did not end within ${timeoutMs} ms: ${this.console.slice(-3000)}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
