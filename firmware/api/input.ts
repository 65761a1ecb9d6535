import { Nullable, OneOf, Timestamp, Type, type Static } from './schema.js';

export const ALARMS = ['silence', 'quiet', 'clip', 'absent'] as const;
export const Alarm = Nullable(OneOf(ALARMS), 'the most urgent alarm (absent, clip, silence, quiet) or null');
export type Alarm = Static<typeof Alarm>;

export const InputState = Type.Object({
  present: Type.Boolean({ description: 'the capture device is plugged in' }),
  capturing: Type.Boolean({ description: 'audio is arriving' }),
  card: Nullable(Type.Integer(), 'ALSA card number'),
  device: Nullable(Type.Integer(), 'ALSA device number'),
  rate: Type.Integer({ description: 'sample rate, Hz' }),
  channels: Type.Integer({ description: 'channel count' }),
  format: Type.String({ description: 'sample format (S16_LE, S32_LE)' }),
  alarm: Alarm,
  pcm: Nullable(Type.String(), 'the ALSA PCM name the input opens'),
  recording: Type.Optional(Type.Boolean({ description: 'the input records (the Home Assistant switch)' })),
  record_file: Type.Optional(Nullable(Type.String(), 'the file being written, relative to the recording directory')),
  record_duration_s: Type.Optional(Type.Number({ description: "the current file's duration, s" })),
  record_bytes: Type.Optional(Type.Integer({ description: "the current file's size" })),
  record_alarm: Type.Optional(Nullable(OneOf(['disk_low', 'disk_full', 'failed'] as const), 'recording alarm')),
});
export type InputState = Static<typeof InputState>;

const perChannel = (description: string) => Type.Array(Type.Number(), { description });

export const Levels = Type.Object({
  ts: Timestamp,
  peak_dbfs: perChannel('peak per channel, dBFS (-120 is the floor)'),
  rms_dbfs: perChannel('RMS per channel, dBFS'),
  clipped: Type.Array(Type.Integer(), { description: 'full-scale samples per channel' }),
  momentary_lufs: Type.Number({ description: 'momentary loudness (400 ms, all channels), LUFS, floored at -120' }),
  short_term_lufs: Type.Number({ description: 'short-term loudness (3 s), LUFS, floored at -120' }),
  integrated_lufs: Nullable(Type.Number(), 'gated integrated loudness since the capture (re)opened, LUFS; null until a block passes the gates'),
  lra_lu: Type.Number({ description: 'loudness range (EBU Tech 3342) since the capture (re)opened, LU' }),
  true_peak_dbtp: Type.Number({ description: 'highest true peak of any channel since the capture (re)opened, dBTP' }),
});
export type Levels = Static<typeof Levels>;

export const Peak = Type.Object({
  ts: Timestamp,
  peak_dbfs: perChannel('the highest peak per channel over about a second, dBFS'),
});
export type Peak = Static<typeof Peak>;

/** An input as `input --json` shows it (its state's properties spread in, as in ZoneListing). */
export const InputListing = Type.Object({
  name: Type.String(),
  ...InputState.properties,
  levels: Nullable(Levels),
  overruns: Type.Integer(),
  failures: Type.Integer(),
  last_error: Nullable(Type.String()),
});
export type InputListing = Static<typeof InputListing>;
