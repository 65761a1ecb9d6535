import { readFileSync } from 'node:fs';

/** CPU time a process has used so far (user + system), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Share of one core a process used over `seconds`, sampling its RSS every second. */
export async function measure(pid: number, seconds: number, rss: (pid: number) => number): Promise<{ cpuPct: number; rssMb: number }> {
  const start = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const samples: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(rss(pid));
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { cpuPct: ((cpuSeconds(pid) - start) / wall) * 100, rssMb: samples.reduce((a, b) => a + b, 0) / samples.length };
}
