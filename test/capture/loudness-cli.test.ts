import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toneSegments, toWav } from './ebu-signals.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KEYS = ['file', 'integrated_lufs', 'lra_lu', 'true_peak_dbtp', 'max_momentary_lufs', 'max_short_term_lufs', 'sample_peak_dbfs'];

/** `roombox loudness ...` as a user runs it: the firmware's own entry point in its own process. */
function roombox(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'firmware', 'main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('roombox loudness FILE...', { timeout: 180_000 }, () => {
  let dir: string;
  let wav: string;
  let flac: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'roombox-loudness-cli-'));
    // Tech 3341 case 5 (integrated -23) in 16-bit WAV; Tech 3342 case 1 (LRA 10) in 24-bit FLAC.
    wav = join(dir, 'case5.wav');
    writeFileSync(wav, toWav(toneSegments([[20, -26], [20.1, -20], [20, -26]]), 's16'));
    const lraWav = join(dir, 'lra.wav');
    writeFileSync(lraWav, toWav(toneSegments([[20, -20], [20, -30]]), 's24'));
    flac = join(dir, 'lra.flac');
    const enc = spawnSync('flac', ['--silent', '--force', '-o', flac, lraWav]);
    assert.equal(enc.status, 0, `flac encoder: ${enc.error?.message ?? enc.stderr}`);
    rmSync(lraWav);
  }, { timeout: 60_000 });
  after(() => rmSync(dir, { recursive: true, force: true }), { timeout: 30_000 });

  it('--json: one object per file, WAV and FLAC, with the published figures', async () => {
    const r = await roombox(['loudness', '--json', wav, flac]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.deepEqual(Object.keys(l), KEYS);
    const [a, b] = lines as [Record<string, number | string>, Record<string, number | string>];
    assert.equal(a.file, wav);
    assert.ok(Math.abs((a.integrated_lufs as number) + 23) <= 0.1, `case 5 integrated ${a.integrated_lufs}`);
    assert.equal(a.max_short_term_lufs, -20);
    assert.equal(a.max_momentary_lufs, -20);
    assert.equal(a.sample_peak_dbfs, -20);
    assert.ok(Math.abs((a.true_peak_dbtp as number) + 20) <= 0.2);
    assert.equal(b.file, flac);
    assert.ok(Math.abs((b.lra_lu as number) - 10) <= 1, `Tech 3342 case 1 from FLAC: LRA ${b.lra_lu}`);
    assert.equal(b.max_short_term_lufs, -20);
  });

  it('prints a readable report per file without --json', async () => {
    const r = await roombox(['loudness', flac]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /lra\.flac: 2 ch, 48000 Hz, 40\.0 s/);
    assert.match(r.stdout, /integrated loudness\s+-2\d\.\d LUFS/);
    assert.match(r.stdout, /loudness range\s+(9\.\d|10\.\d|11\.0) LU/);
    assert.match(r.stdout, /true peak\s+-\d+\.\d dBTP/);
    assert.match(r.stdout, /max momentary\s+-20\.0 LUFS/);
    assert.match(r.stdout, /max short-term\s+-20\.0 LUFS/);
    assert.match(r.stdout, /sample peak\s+-20\.0 dBFS/);
  });

  it('bad files: each named with its reason on stderr, the good ones still measured, exit 1, nothing written', async () => {
    const missing = join(dir, 'nope.wav');
    const empty = join(dir, 'empty.wav');
    writeFileSync(empty, '');
    const text = join(dir, 'notes.wav');
    writeFileSync(text, 'these are not samples\n');
    const adpcm = join(dir, 'adpcm.wav');
    const adpcmBytes = toWav(toneSegments([[1, -20]]), 's16');
    adpcmBytes.writeUInt16LE(2, 20); // format tag 2: Microsoft ADPCM
    writeFileSync(adpcm, adpcmBytes);
    const headerOnly = join(dir, 'header-only.wav');
    writeFileSync(headerOnly, toWav(toneSegments([[1, -20]]), 's16').subarray(0, 30));
    const brokenFlac = join(dir, 'broken.flac');
    const flacBytes = readFileSync(flac);
    writeFileSync(brokenFlac, Buffer.concat([flacBytes.subarray(0, 4), Buffer.alloc(4000, 0x55)]));
    const before = readFileSync(wav);

    const r = await roombox(['loudness', '--json', missing, empty, text, adpcm, headerOnly, brokenFlac, dir, wav]);
    assert.equal(r.code, 1);
    const out = r.stdout.trim().split('\n');
    assert.equal(out.length, 1, 'only the good file is reported on stdout');
    assert.equal(JSON.parse(out[0]!).file, wav);
    const err = r.stderr.trim().split('\n');
    assert.equal(err.length, 7, r.stderr);
    assert.equal(err[0], `roombox loudness: ${missing}: no such file`);
    assert.equal(err[1], `roombox loudness: ${empty}: empty or too short to be audio`);
    assert.equal(err[2], `roombox loudness: ${text}: neither a WAV nor a FLAC file`);
    assert.equal(err[3], `roombox loudness: ${adpcm}: unsupported WAV encoding (format tag 0x0002): only integer PCM and IEEE float`);
    assert.equal(err[4], `roombox loudness: ${headerOnly}: the WAV header is incomplete (no fmt chunk)`);
    assert.match(err[5]!, new RegExp(`^roombox loudness: ${brokenFlac}: FLAC decoding failed: .+`));
    assert.equal(err[6], `roombox loudness: ${dir}: is a directory`);
    assert.deepEqual(readFileSync(wav), before);
  });

  it('a WAV cut short (a recording that stopped) is measured as far as it goes, with a warning', async () => {
    const cut = join(dir, 'cut.wav');
    const full = toWav(toneSegments([[10, -23]]), 's16');
    writeFileSync(cut, full.subarray(0, full.length / 2 + 1));
    const r = await roombox(['loudness', '--json', cut]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /cut\.wav: the file ends before its data chunk does/);
    const j = JSON.parse(r.stdout);
    assert.ok(Math.abs(j.integrated_lufs + 23) <= 0.1);
  });

  it('usage errors: no file, unknown option (exit 2)', async () => {
    const none = await roombox(['loudness', '--json']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no file given \(usage: roombox loudness \[--json\] FILE\.\.\.\)/);
    const bad = await roombox(['loudness', '--lufs', wav]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--lufs'/);
  });
});
