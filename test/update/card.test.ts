// The A/B card and the update release, on the host (no qemu): the layout scripts/build-image
// writes, the per-slot boot configuration as the qemu harness's firmware rules read it, and
// scripts/build-update's reproducibility and signature. The base is test/ship's small stand-in
// for a Raspberry Pi OS card, with a file at /usr/bin/node (so no arm64 Node is fetched); the
// bundle is a small tar of the bundle's shape.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from '../helpers/box-process.js';
import { PiFirmware, partitions, readFatFile } from './pi-firmware.js';

const work = mkdtempSync(join(tmpdir(), 'roombox-card-'));
const EPOCH = '1764000000';
const sh = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH, MTOOLS_SKIP_CHECK: '1', ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r.stdout;
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A partition's bytes, read from the card image. */
const partBytes = (card: string, n: number) => {
  const p = partitions(card).find((x) => x.number === n)!;
  const f = join(work, `part-${n}-${Date.now()}`);
  sh('dd', [`if=${card}`, `of=${f}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'status=none']);
  const b = readFileSync(f);
  rmSync(f);
  return b;
};
const writeFat = (card: string, n: number, name: string, text: string) => {
  const p = partitions(card).find((x) => x.number === n)!;
  const f = join(work, name);
  writeFileSync(f, text);
  sh('mcopy', ['-o', '-i', `${card}@@${p.start * 512}`, f, `::${name}`]);
};

let base = '';
let bundle = '';
let key = '';
let pub = '';

describe('A/B card layout and signed update releases (host)', { concurrency: false, timeout: 900_000 }, () => {
  before(() => {
    base = join(work, 'base.img');
    sh('test/ship/make-base-image.sh', [base]);
    // The stand-in base gets a Node of its own, as Raspberry Pi OS images built with it have.
    const p = partitions(base).find((x) => x.number === 2)!;
    const root = join(work, 'base-root.img');
    sh('dd', [`if=${base}`, `of=${root}`, 'bs=512', `skip=${p.start}`, `count=${p.size}`, 'status=none']);
    writeFileSync(join(work, 'node'), '#!/bin/sh\n');
    sh('debugfs', ['-w', '-R', `write ${join(work, 'node')} /usr/bin/node`, root]);
    sh('dd', [`if=${root}`, `of=${base}`, 'bs=512', `seek=${p.start}`, 'conv=notrunc', 'status=none']);
    const tree = join(work, 'bundle');
    mkdirSync(join(tree, 'roombox', 'dist', 'firmware'), { recursive: true });
    writeFileSync(join(tree, 'roombox', 'package.json'), JSON.stringify({ name: 'roombox', version: '0.2.0' }));
    writeFileSync(join(tree, 'roombox', 'dist', 'firmware', 'main.js'), 'console.log("roombox")\n');
    bundle = join(work, 'roombox-0.2.0-linux-arm64.tar.gz');
    sh('tar', ['-C', tree, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-czf', bundle, 'roombox']);
    sh('node', ['scripts/update-sign.mjs', 'keygen', work]);
    key = join(work, 'update-key.pem');
    pub = join(work, 'update-key.pub');
  }, { timeout: 120_000 });
  after(() => rmSync(work, { recursive: true, force: true }), { timeout: 120_000 });

  it('lays out autoboot, two identical slots and data; the firmware rules boot A, try B once, and follow a commit', () => {
    const card = join(work, 'card.img');
    sh('scripts/build-image', ['--base', base, '--bundle', bundle, '--out', card, '--update-key', pub]);
    const table = JSON.parse(sh('sfdisk', ['-J', card])).partitiontable;
    assert.equal(table.id, '0x726f6f6d');
    assert.deepEqual(partitions(card).map((p) => `${p.number}:${p.type}`), ['1:c', '2:c', '3:c', '4:5', '5:83', '6:83', '7:83']);
    const p = (n: number) => partitions(card).find((x) => x.number === n)!;
    assert.equal(readFatFile(card, p(1), 'autoboot.txt'), '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n');
    assert.match(readFatFile(card, p(1), 'roombox.env')!, /^#ROOMBOX_MQTT_URL=/m, "the settings template is on the autoboot partition");
    assert.equal(readFatFile(card, p(2), 'roombox.env'), undefined, 'no settings in a slot');
    assert.equal(sha(partBytes(card, 2)), sha(partBytes(card, 3)), 'boot A and boot B are the same bytes');
    assert.equal(sha(partBytes(card, 5)), sha(partBytes(card, 6)), 'root A and root B are the same bytes');
    const data = join(work, 'data.img');
    writeFileSync(data, partBytes(card, 7));
    assert.match(sh('dumpe2fs', ['-h', data]), /Filesystem volume name:\s+roombox-data/);

    const root = join(work, 'root-a.img');
    writeFileSync(root, partBytes(card, 5));
    const cat = (f: string) => sh('debugfs', ['-R', `cat ${f}`, root]);
    const fstab = cat('/etc/fstab');
    assert.match(fstab, /^PARTUUID=726f6f6d-01\s+\/boot\/autoboot\s+vfat/m);
    assert.match(fstab, /^PARTUUID=726f6f6d-07\s+\/var\/lib\/roombox\s+ext4/m);
    assert.doesNotMatch(fstab, /0badcafe/, "the base's own partitions are not mounted");
    assert.doesNotMatch(fstab, /^\S+\s+\/boot\/firmware\s/m, 'the boot partition depends on the slot: the generator mounts it');
    assert.equal(cat('/opt/roombox/update-key.pub'), readFileSync(pub, 'utf8'));
    assert.match(sh('debugfs', ['-R', 'stat /usr/lib/systemd/system-generators/roombox-slot-generator', root]), /Mode:\s+0755/);
    assert.match(cat('/etc/systemd/system/roombox.service'), /^EnvironmentFile=-\/boot\/autoboot\/roombox\.env$/m);

    const pi = new PiFirmware(card, join(work, 'pi'));
    const a = pi.choose();
    assert.deepEqual([a.partition, a.cmdlineFile], [2, 'cmdline-a.txt']);
    assert.match(a.cmdline, /(^| )root=PARTUUID=726f6f6d-05 /);
    assert.match(a.cmdline, / roombox\.slot=a$/);
    assert.doesNotMatch(a.cmdline, /console=serial0/);
    pi.ended('tryboot', '0 tryboot');
    const b = pi.choose();
    assert.deepEqual([b.partition, b.tryboot, b.configFile, b.cmdlineFile], [3, true, 'config.txt', 'cmdline-b.txt']);
    assert.match(b.cmdline, /root=PARTUUID=726f6f6d-06 roombox\.slot=b$/);
    pi.tryboot = false; // the one-shot flag is gone after that boot
    assert.equal(pi.choose().partition, 2);
    // The agent's commit of B.
    writeFat(card, 1, 'autoboot.txt', '[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n');
    assert.equal(pi.choose().partition, 3);
    pi.ended('tryboot', '0 tryboot');
    assert.deepEqual([pi.choose().partition, pi.choose().cmdlineFile], [2, 'cmdline-a.txt']);

    // The generator mounts the running slot's boot partition on /boot/firmware.
    const gen = join(work, 'generator');
    mkdirSync(gen);
    writeFileSync(join(work, 'cmdline'), `${b.cmdline}\n`);
    const script = join(work, 'roombox-slot-generator');
    writeFileSync(script, cat('/usr/lib/systemd/system-generators/roombox-slot-generator'), { mode: 0o755 });
    sh(script, [gen], { ROOMBOX_SLOT_CMDLINE: join(work, 'cmdline') });
    const unit = readFileSync(join(gen, 'boot-firmware.mount'), 'utf8');
    assert.match(unit, /^What=\/dev\/disk\/by-partuuid\/726f6f6d-03$/m);
    assert.match(unit, /^Where=\/boot\/firmware$/m);
    assert.equal(readFileSync(join(gen, 'local-fs.target.wants', 'boot-firmware.mount'), 'utf8'), unit);

    // Building over the card again keeps the box's settings and data.
    writeFat(card, 1, 'roombox.env', 'ROOMBOX_ID=kitchen\n');
    sh('debugfs', ['-w', '-R', `write ${pub} /kept`, data]);
    const p7 = p(7);
    sh('dd', [`if=${data}`, `of=${card}`, 'bs=512', `seek=${p7.start}`, 'conv=notrunc', 'status=none']);
    const again = join(work, 'again.img');
    sh('scripts/build-image', ['--base', card, '--bundle', bundle, '--out', again, '--update-key', pub]);
    assert.equal(readFatFile(again, partitions(again)[0]!, 'roombox.env'), 'ROOMBOX_ID=kitchen\n');
    assert.equal(sha(partBytes(again, 7)), sha(partBytes(card, 7)), 'the data partition is carried over');
    rmSync(again);
  });

  it('builds the same signed release twice, byte for byte, from the same slot images build-image writes', () => {
    const outs = [join(work, 'rel-1'), join(work, 'rel-2')];
    const printed = outs.map((out) => sh('scripts/build-update', ['--bundle', bundle, '--base', base, '--key', key, '--out', out, '--min-version', '0.1.0', '--release-url', 'https://example.org/r/0.2.0']));
    assert.equal(printed[0], printed[1], 'every file has one sha256 over two builds');
    const files = ['manifest.json', 'manifest.json.sig', 'boot.vfat.gz', 'root.ext4.gz'];
    for (const f of files) assert.equal(sha(readFileSync(join(outs[0]!, f))), sha(readFileSync(join(outs[1]!, f))), f);
    const manifestBytes = readFileSync(join(outs[0]!, 'manifest.json'));
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    assert.equal(manifest.format, 1);
    assert.equal(manifest.version, '0.2.0');
    assert.equal(manifest.min_version, '0.1.0');
    assert.equal(manifest.release_url, 'https://example.org/r/0.2.0');
    assert.equal(manifest.created, new Date(Number(EPOCH) * 1000).toISOString().replace(/\.000Z$/, 'Z'));
    assert.deepEqual(manifest.parts.map((p: { name: string; file: string }) => [p.name, p.file]), [['boot', 'boot.vfat.gz'], ['root', 'root.ext4.gz']]);

    // The image's key verifies the signature; another key does not.
    const card = join(work, 'card.img');
    const root = join(work, 'root-a.img');
    writeFileSync(root, partBytes(card, 5));
    const baked = createPublicKey(sh('debugfs', ['-R', 'cat /opt/roombox/update-key.pub', root]));
    const signature = Buffer.from(readFileSync(join(outs[0]!, 'manifest.json.sig'), 'utf8').trim(), 'base64');
    assert.ok(verify(null, manifestBytes, baked, signature), 'the key baked into the image verifies the manifest');
    const tampered = Buffer.from(manifestBytes.toString('utf8').replace('"0.1.0"', '"0.0.1"'));
    assert.equal(verify(null, tampered, baked, signature), false, 'a changed manifest does not verify');
    sh('node', ['scripts/update-sign.mjs', 'keygen', join(work, 'rel-2')]);
    const other = createPublicKey(readFileSync(join(work, 'rel-2', 'update-key.pub')));
    assert.equal(verify(null, manifestBytes, other, signature), false, 'another key does not verify');

    // Every part is what the manifest says, and the same bytes build-image put into the slots.
    const slots: Record<string, number> = { boot: 2, root: 5 };
    for (const part of manifest.parts as { name: string; file: string; size: number; sha256: string; compressed_size: number; compressed_sha256: string }[]) {
      const gz = readFileSync(join(outs[0]!, part.file));
      assert.equal(gz.length, part.compressed_size);
      assert.equal(sha(gz), part.compressed_sha256);
      const raw = gunzipSync(gz);
      assert.equal(raw.length, part.size);
      assert.equal(sha(raw), part.sha256);
      const slot = partBytes(card, slots[part.name]!);
      assert.ok(slot.length >= raw.length, `${part.name} fits its partition`);
      assert.equal(sha(slot.subarray(0, raw.length)), part.sha256, `${part.name} is the bytes build-image wrote into slot A`);
    }
  });

  it('refuses a bad minimum version and a missing key with one clear error, writing nothing', () => {
    const out = join(work, 'rel-bad');
    const bad = spawnSync('scripts/build-update', ['--bundle', bundle, '--base', base, '--key', key, '--out', out, '--min-version', 'latest'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--min-version 'latest' is not a version/);
    const nokey = spawnSync('scripts/build-update', ['--bundle', bundle, '--base', base, '--key', join(work, 'nope.pem'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(nokey.status, 1);
    assert.match(nokey.stderr, /signing key .* not found/);
    assert.equal(spawnSync('test', ['-e', out]).status, 1, 'no output directory');
  });
});
