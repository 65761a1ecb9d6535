import type { InputListing } from '../api/input.js';
import type { BoxContext } from '../context.js';
import { UserError } from '../core/errors.js';
import { findTarget } from '../controls/mqtt-routes.js';
import type { ControlFeature } from '../controls/control.js';
import type { CaptureInput } from './input.js';

/** `input` and `input <i>`. */
/** What the input commands need of the capture feature. */
export interface InputSet {
  feature: ControlFeature<CaptureInput>;
  inputs: ReadonlyMap<string, CaptureInput>;
}

export function registerCaptureCommands(ctx: BoxContext, capture: InputSet): void {
  const find = (name: string | undefined): CaptureInput => findTarget(capture.feature, name);
  const describe = (i: CaptureInput): InputListing => ({ name: i.name, ...i.state, levels: i.lastLevels ?? null, overruns: i.overruns, failures: i.failures, last_error: i.lastError ?? null });

  ctx.commands.register({
    words: ['input'],
    args: '[<input>]',
    summary: 'capture inputs: presence, capture, alarm and last levels',
    readOnly: true,
    run(args) {
      if (args.length > 1) throw new UserError('usage: input [<input>]');
      if (args.length === 1) {
        const d = describe(find(args[0]));
        const lines = [
          `${d.name}: ${d.present ? 'present' : 'absent'}, ${d.capturing ? 'capturing' : 'not capturing'}, alarm ${d.alarm ?? 'none'}`,
          `  device: ${d.pcm ?? '-'} (card ${d.card ?? '-'}, device ${d.device ?? '-'}), ${d.format} ${d.rate} Hz, ${d.channels} ch`,
          `  peak dBFS: ${d.levels ? d.levels.peak_dbfs.join(' ') : '-'}  rms dBFS: ${d.levels ? d.levels.rms_dbfs.join(' ') : '-'}  clipped: ${d.levels ? d.levels.clipped.join(' ') : '-'}`,
          `  loudness: momentary ${lufs(d.levels?.momentary_lufs)}, short-term ${lufs(d.levels?.short_term_lufs)}, integrated ${lufs(d.levels?.integrated_lufs)}, range ${d.levels ? `${d.levels.lra_lu.toFixed(1)} LU` : '-'}, true peak ${d.levels ? `${d.levels.true_peak_dbtp.toFixed(1)} dBTP` : '-'}`,
          `  overruns ${d.overruns}, failures ${d.failures}${d.last_error ? `, last error: ${d.last_error}` : ''}`,
        ];
        return { text: lines.join('\n'), data: d };
      }
      const all = [...capture.inputs.values()].map(describe);
      const text = all.map((d) => `${d.name.padEnd(12)} ${(d.present ? 'present' : 'absent').padEnd(8)} ${(d.capturing ? 'capturing' : '-').padEnd(10)} alarm ${(d.alarm ?? 'none').padEnd(8)} peak ${d.levels ? d.levels.peak_dbfs.join('/') : '-'}`).join('\n');
      return { text: text || 'no inputs', data: all };
    },
  });
}

function lufs(v: number | null | undefined): string {
  return v === undefined || v === null ? '-' : `${v.toFixed(1)} LUFS`;
}
