// Memory: RSS of the compiled firmware on the sim board (both zones, the input metering) after
// BENCH_MEMORY_S seconds (the target is stated for 10 minutes: the default), against the RSS of
// a bare mqtt.js client in the same run, both with the unit's node flags. Target (issue): at most
// the bare client's + 10 MB. Samples every 10 s to show growth (flatness over an hour: `npm run soak`).
import { readFileSync } from 'node:fs';
import { startBoxAndBare } from './box-and-bare.js';
import { emitRow, printTable, round, type BenchRow } from './stats.js';

const SECONDS = Number(process.env.BENCH_MEMORY_S ?? 600);
/** What the box may hold beyond a bare mqtt.js client (issue: 10 MB). */
const BUDGET_MB = 10;

export { unitNodeFlags } from './box-and-bare.js';

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function benchMemory(seconds = SECONDS): Promise<{ rows: BenchRow[]; samples: number[] }> {
  const { box, bare, leanBare, stop } = await startBoxAndBare('membox', { ROOMBOX_TELEMETRY_S: '5' }, { leanBare: true });
  const samples: number[] = [];
  try {
    for (let t = 0; t < seconds; t += 10) {
      await new Promise((r) => setTimeout(r, Math.min(10, seconds - t) * 1000));
      samples.push(round(rssMb(box.pid!), 1));
    }
    const ours = rssMb(box.pid!);
    const ref = rssMb(bare.pid!);
    const lean = rssMb(leanBare!.pid!);
    return {
      rows: [
        {
          name: `RSS after ${seconds} s (sim board, the unit's node flags)`,
          ours: `${round(ours, 1)} MB`,
          reference: `${round(ref, 1)} MB bare mqtt.js`,
          ratio: ours / ref,
          target: `<= bare + ${BUDGET_MB} MB (${round(ref + BUDGET_MB, 1)} MB)`,
          met: ours <= ref + BUDGET_MB,
        },
        {
          name: `RSS after ${seconds} s, against a bare client without mqtt-packet's number cache`,
          ours: `${round(ours, 1)} MB`,
          reference: `${round(lean, 1)} MB bare mqtt.js, writeCache: false`,
          ratio: ours / lean,
          target: 'info',
          met: true,
        },
      ],
      samples,
    };
  } finally {
    await stop();
  }
}

if (process.argv[1]?.endsWith('memory.ts')) {
  const { rows, samples } = await benchMemory();
  console.log(`RSS samples every 10 s (MB): ${samples.join(' ')}`);
  printTable(rows);
  for (const row of rows) emitRow(row);
}
