import type { BoxContext } from '../context.js';
import { UserError } from '../core/errors.js';
import type { RecordingControl } from './index.js';
import { RecorderError } from './recorder.js';

/**
 * Every door into recording, in one place: the Home Assistant switch per input with its MQTT
 * command topic `P/input/<i>/record/set` (ON/OFF), and the console / P/request commands
 * `record start|stop|status [<input>]`. Each bad command gets one error: a P/error on MQTT,
 * `error: ...` on the console.
 */
export function registerRecordingControls(ctx: BoxContext, control: RecordingControl): void {
  for (const p of ctx.profile.inputs) {
    const label = p.label ?? p.name;
    ctx.discovery.add({
      key: `input_${p.name}_record`,
      platform: 'switch',
      config: {
        name: `${label} recording`,
        state_topic: ctx.topics.inputState(p.name),
        value_template: "{{ 'ON' if value_json.recording else 'OFF' }}",
        command_topic: ctx.topics.sub(`input/${p.name}/record/set`),
        payload_on: 'ON',
        payload_off: 'OFF',
        json_attributes_topic: ctx.topics.inputState(p.name),
        json_attributes_template: '{{ {"file": value_json.record_file, "duration_s": value_json.record_duration_s, "bytes": value_json.record_bytes, "alarm": value_json.record_alarm} | tojson }}',
        icon: 'mdi:record-rec',
      },
    });
  }

  ctx.router.route('input/+/record/set', async (payload, [name]) => {
    const word = payload.toString('utf8').trim().toLowerCase();
    if (word !== 'on' && word !== 'off') throw new UserError('expected ON or OFF');
    try {
      if (word === 'on') control.startRecording(name!);
      else await control.stopRecording(name!);
    } catch (err) {
      if (err instanceof RecorderError) throw new UserError(err.message);
      throw err;
    }
  });

  /** `<input>` or, on a box with one input, nothing. */
  const which = (args: string[], verb: string): string => {
    if (args.length > 1) throw new UserError(`usage: record ${verb} [<input>]`);
    if (args.length === 1) return args[0]!.toLowerCase();
    const all = control.inputs();
    if (all.length === 1) return all[0]!;
    throw new UserError(`which input? (inputs: ${all.join(', ')})`);
  };
  const asUserError = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RecorderError) throw new UserError(err.message);
      throw err;
    }
  };
  const line = (s: ReturnType<RecordingControl['status']>) =>
    `${s.input.padEnd(12)} ${s.recording ? 'recording' : 'idle     '}  ${s.record_file ?? '-'}${s.record_file ? ` ${s.record_duration_s} s ${s.record_bytes} bytes` : ''}${s.record_alarm ? `  alarm ${s.record_alarm}` : ''}`;

  ctx.commands.register({
    words: ['record', 'start'],
    args: '[<input>]',
    summary: 'start recording an input into FLAC segments',
    readOnly: false,
    run: (args) =>
      asUserError(() => {
        const input = which(args, 'start');
        control.startRecording(input);
        return { text: `${input}: recording` };
      }),
  });
  ctx.commands.register({
    words: ['record', 'stop'],
    args: '[<input>]',
    summary: 'stop recording an input (the current segment is closed)',
    readOnly: false,
    run: (args) =>
      asUserError(async () => {
        const input = which(args, 'stop');
        await control.stopRecording(input);
        return { text: `${input}: stopped` };
      }),
  });
  ctx.commands.register({
    words: ['record', 'status'],
    args: '[<input>]',
    summary: 'recording state: on or off, current file, its duration and size, alarm',
    readOnly: true,
    run: (args) =>
      asUserError(() => {
        if (args.length > 1) throw new UserError('usage: record status [<input>]');
        const all = args.length === 1 ? [control.status(args[0]!.toLowerCase())] : control.inputs().map((i) => control.status(i));
        return { text: all.map(line).join('\n'), data: args.length === 1 ? all[0] : all };
      }),
  });
}
