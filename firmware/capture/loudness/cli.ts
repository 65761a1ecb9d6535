import { analyseFile, AudioFileError, type FileLoudness } from './analyse-file.js';

const USAGE = 'usage: roombox loudness [--json] FILE...';

/** The --json object of one file: LUFS, LU and dB to one decimal; null where there is nothing to measure. */
export function jsonSummary(r: FileLoudness): Record<string, string | number | null> {
  return {
    file: r.file,
    integrated_lufs: round1(r.integratedLufs),
    lra_lu: round1(r.loudnessRangeLu),
    true_peak_dbtp: round1(r.truePeakDbtp),
    max_momentary_lufs: round1(r.maxMomentaryLufs),
    max_short_term_lufs: round1(r.maxShortTermLufs),
    sample_peak_dbfs: round1(r.samplePeakDbfs),
  };
}

function textSummary(r: FileLoudness): string {
  const v = (x: number, unit: string) => `${Number.isFinite(x) ? x.toFixed(1) : '-inf'} ${unit}`;
  return [
    `${r.file}: ${r.channels} ch, ${r.rate} Hz, ${r.seconds.toFixed(1)} s`,
    `  integrated loudness   ${v(r.integratedLufs, 'LUFS')}`,
    `  loudness range        ${v(r.loudnessRangeLu, 'LU')}`,
    `  true peak             ${v(r.truePeakDbtp, 'dBTP')}`,
    `  max momentary         ${v(r.maxMomentaryLufs, 'LUFS')}`,
    `  max short-term        ${v(r.maxShortTermLufs, 'LUFS')}`,
    `  sample peak           ${v(r.samplePeakDbfs, 'dBFS')}`,
  ].join('\n');
}

/**
 * `roombox loudness [--json] FILE...`: every file is measured and reported, in order; a file that
 * cannot be read is named on stderr with the reason. Exit 0 when all were measured, 1 when any
 * was not, 2 for a usage error.
 */
export async function loudnessCommand(args: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let json = false;
  const files: string[] = [];
  let options = true;
  for (const a of args) {
    if (options && a === '--') options = false;
    else if (options && a === '--json') json = true;
    else if (options && (a === '--help' || a === '-h')) {
      out.write(`${USAGE}\nMeasures WAV and FLAC files by EBU R128 / ITU-R BS.1770-4: integrated loudness, loudness range,\ntrue peak, maximum momentary and short-term loudness, sample peak.\n`);
      return 0;
    } else if (options && a.startsWith('-') && a !== '-') {
      err.write(`roombox loudness: unknown option '${a}' (${USAGE})\n`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0) {
    err.write(`roombox loudness: no file given (${USAGE})\n`);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const r = await analyseFile(file);
      if (r.truncated) err.write(`roombox loudness: ${file}: the file ends before its data chunk does (cut short?); measured what is there\n`);
      out.write(json ? `${JSON.stringify(jsonSummary(r))}\n` : `${textSummary(r)}\n`);
    } catch (e) {
      if (!(e instanceof AudioFileError)) throw e;
      failed++;
      err.write(`roombox loudness: ${file}: ${e.message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

function round1(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 + 0 : null;
}
