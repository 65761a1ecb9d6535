// Updates end to end under qemu (`npm run test:update`; not part of `npm test`, see
// docs/deploy.md): a card made by scripts/build-image from the qemu base (test/update/
// make-qemu-base.sh: Debian's arm64 kernel, busybox init, Node, the bundle), booted by the
// harness that plays the Raspberry Pi firmware (pi-firmware.ts), releases made by
// scripts/build-update served by a plain node:http server on the host, a real mosquitto on the
// host. One card goes through it all, in order:
//   1. a bad signature, a tampered artifact and a downgrade are refused, each with one clear
//      error, and neither slot B nor autoboot.txt changes (bytes compared);
//   2. the qemu process is killed at random moments while slot B is being written (3 runs): the
//      card boots slot A again every time, and the install can be retried;
//   3. five crash-looping starts (power cuts once online, counting the cuts of 2) start the box
//      in safe mode: every amp line muted and off, read from the sim; `safe-mode off` ends it;
//   4. a good update installs, boots on trial, commits itself and survives the next reset; the
//      zone's volume set before it and every event seq (those sent during the update too) arrive;
//   5. a release whose firmware exits at start is tried and rolled back by the tryboot guard,
//      and the box reports update_rolled_back from the old slot.
// UPDATE_BUNDLE (skip the bundle build), UPDATE_SEED (the power cut moments),
// UPDATE_QEMU_CACHE (default /var/tmp/roombox-update-qemu: the kernel and the qemu base),
// UPDATE_PREPARED (a directory: the card as built and the releases are kept there and taken
// from there by the next run, which then boots within a minute; empty it when the firmware or
// test/update/guest changes), UPDATE_ONLY (a comma-separated list of refusals, power-cuts,
// safe-mode, good, crash: only those run, in the order above; crash needs good),
// UPDATE_KEEP (keep the work directory).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fit } from '../../firmware/core/commands.js';
import { ROOT } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe, type Received } from '../helpers/mqtt-probe.js';
import { ReleaseServer } from './release-server.js';
import { PiFirmware, partitions, readFatFile, type Boot, type BootEnd } from './pi-firmware.js';
import { seeded } from '../helpers/seeded.js';

const ID = 'qbox';
const BASE = `roombox/${ID}`;
const CONFIRM_S = 90;
const SEED = Number(process.env.UPDATE_SEED ?? Date.now() % 100_000);
const CACHE = process.env.UPDATE_QEMU_CACHE ?? '/var/tmp/roombox-update-qemu';
const BOOT_MS = 600_000;
const COMMITTED_A = '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n';
const COMMITTED_B = '[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n';
const PREPARED = process.env.UPDATE_PREPARED;
const SCENARIOS = ['refusals', 'power-cuts', 'safe-mode', 'good', 'crash'] as const;
type Scenario = (typeof SCENARIOS)[number];
const ONLY = process.env.UPDATE_ONLY?.split(',').map((w) => w.trim()).filter(Boolean);
for (const w of ONLY ?? []) if (!SCENARIOS.includes(w as Scenario)) throw new Error(`UPDATE_ONLY: '${w}' is none of ${SCENARIOS.join(', ')}`);
if (ONLY?.includes('crash') && !ONLY.includes('good')) throw new Error('UPDATE_ONLY: crash installs over the good update (slot b, 0.2.0): list good too');
/** `skip` of a scenario left out by UPDATE_ONLY. */
const unless = (name: Scenario) => (ONLY && !ONLY.includes(name) ? `not in UPDATE_ONLY=${ONLY.join(',')}` : false);

const sh = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, MTOOLS_SKIP_CHECK: '1', ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return r.stdout.trim();
};
const isEvent = (type: string) => (m: Received) => m.topic === `${BASE}/event` && JSON.parse(m.payload).type === type;
const updateState = (m: Received) => (m.topic === `${BASE}/update` ? (JSON.parse(m.payload) as Record<string, unknown>) : undefined);

describe('updates under qemu: the Pi firmware played by the harness', { concurrency: false, timeout: 120 * 60_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'roombox-update-qemu-'));
  const broker = new Mosquitto();
  const releases = join(work, 'releases');
  const server = new ReleaseServer(releases);
  const channel = join(releases, 'stable');
  const card = join(work, 'card.img');
  const random = seeded(SEED);
  const times: Record<string, number> = {};
  let probe: MqttProbe;
  let pi: PiFirmware;
  let boot: Boot | undefined;
  let zone = '';
  /** The probe's mark from before the running boot's power on. */
  let bootMark = 0;

  /**
   * The slot partitions' bytes, hashed: what "no slot changed" compares. Slot B whole and slot
   * A's boot partition (mounted read-only); not slot A's root, the running system's, which its
   * ext4 journal and mount count change while it runs.
   */
  const slotHashes = () =>
    Object.fromEntries(
      partitions(card)
        .filter((p) => [2, 3, 6].includes(p.number))
        .map((p) => {
          const r = spawnSync('sh', ['-c', `dd if='${card}' bs=512 skip=${p.start} count=${p.size} status=none | sha256sum`], { encoding: 'utf8' });
          return [p.number, r.stdout.split(' ')[0]!];
        }),
    ) as Record<number, string>;
  const autoboot = () => readFatFile(card, partitions(card)[0]!, 'autoboot.txt');
  const publish = (dir: string) => {
    rmSync(channel, { recursive: true, force: true });
    cpSync(join(releases, dir), channel, { recursive: true });
  };

  /** Powers on; resolves once the box on the expected slot is online on the broker, with the probe's mark from before. */
  async function powerOn(slot: 'a' | 'b', tryboot = false): Promise<number> {
    const mark = probe.mark();
    const t = Date.now();
    boot = pi.start();
    assert.deepEqual([boot.choice.partition, boot.choice.tryboot], [slot === 'a' ? 2 : 3, tryboot], `the firmware boots slot ${slot}${tryboot ? ' on trial' : ''}`);
    await boot.waitConsole(new RegExp(`roombox-vm: slot ${slot} running`), BOOT_MS);
    await probe.waitSince(mark, (m) => m.topic === `${BASE}/status` && m.payload === 'online', BOOT_MS, `the box online on slot ${slot}`);
    console.log(`update-qemu: slot ${slot}${tryboot ? ' (trial)' : ''} online ${Math.round((Date.now() - t) / 1000)} s after power on`);
    bootMark = mark;
    return mark;
  }
  /** The box online on `slot`: the running boot, or a power on when qemu is not running (a scenario run alone). */
  async function ensureOn(slot: 'a' | 'b'): Promise<void> {
    if (!boot || boot.exited) await powerOn(slot);
    else assert.equal(boot.choice.partition, slot === 'a' ? 2 : 3, `the box runs slot ${slot}`);
  }
  async function zoneName(): Promise<string> {
    if (!zone) zone = (await probe.waitFor((m) => /^roombox\/qbox\/zone\/[^/]+\/state$/.test(m.topic), 120_000, 'a zone state')).topic.split('/')[3]!;
    return zone;
  }
  async function installed(mark: number): Promise<Record<string, unknown>> {
    const m = await probe.waitSince(mark, (x) => updateState(x)?.installed_version !== undefined, 60_000, 'the update entity state');
    return updateState(m)!;
  }

  /** The card as build-image made it, the releases and the signing key: built here, or taken from UPDATE_PREPARED. */
  function prepare(): void {
    if (PREPARED && existsSync(join(PREPARED, 'ready'))) {
      console.log(`update-qemu: card and releases from ${PREPARED} (${sh('cat', [join(PREPARED, 'ready')])})`);
      sh('cp', ['--sparse=always', join(PREPARED, 'card.img'), card]);
      cpSync(join(PREPARED, 'releases'), releases, { recursive: true });
      for (const f of ['update-key.pem', 'update-key.pub']) cpSync(join(PREPARED, f), join(work, f));
      return;
    }
    const t0 = Date.now();
    let bundle = process.env.UPDATE_BUNDLE;
    if (!bundle) {
      const built = spawnSync(join(ROOT, 'scripts/build-bundle'), ['--out', join(work, 'out')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BUNDLE_STAGE: join(work, 'stage') } });
      assert.equal(built.status, 0, built.stderr.slice(-3000));
      bundle = built.stdout.trim().split('\n').pop()!;
    }
    assert.ok(existsSync(bundle), `bundle ${bundle}`);
    const installedVersion = JSON.parse(sh('tar', ['-xzOf', bundle, 'roombox/package.json'])).version as string;
    assert.equal(installedVersion, '0.1.0', 'the card starts on 0.1.0 (the versions below are relative to it)');
    times.build_bundle_s = Math.round((Date.now() - t0) / 1000);
    const t1 = Date.now();
    const base = sh('test/update/make-qemu-base.sh', [CACHE]);
    times.prepare_base_s = Math.round((Date.now() - t1) / 1000);

    mkdirSync(releases);
    sh('node', ['scripts/update-sign.mjs', 'keygen', work]);
    const key = join(work, 'update-key.pem');
    const derive = (version: string, crash = false) => sh('test/update/derive-bundle.sh', [bundle!, version, join(work, 'bundles'), ...(crash ? ['--crash'] : [])]);
    const release = (dir: string, b: string) => sh('scripts/build-update', ['--bundle', b, '--base', base, '--key', key, '--out', join(releases, dir), '--min-version', '0.1.0', '--release-url', `https://example.org/roombox/${dir}`]);
    const t2 = Date.now();
    sh('scripts/build-image', ['--base', base, '--bundle', bundle, '--out', card, '--update-key', join(work, 'update-key.pub')]);
    release('good', derive('0.2.0'));
    release('crash', derive('0.3.0', true));
    // An older release, properly signed: the good one's parts under a manifest saying 0.0.9 (the
    // box refuses it on the version, before any part is fetched).
    cpSync(join(releases, 'good'), join(releases, 'old'), { recursive: true });
    const manifest = JSON.parse(sh('cat', [join(releases, 'good', 'manifest.json')]));
    writeFileSync(join(releases, 'old', 'manifest.json'), `${JSON.stringify({ ...manifest, version: '0.0.9', min_version: '0.0.0' }, null, 2)}\n`);
    writeFileSync(join(releases, 'old', 'manifest.json.sig'), sh('node', ['scripts/update-sign.mjs', 'sign', key, join(releases, 'old', 'manifest.json')]) + '\n');
    // A stranger's signature over the good manifest; and the good manifest over a changed root.
    sh('node', ['scripts/update-sign.mjs', 'keygen', join(work, 'bundles')]);
    cpSync(join(releases, 'good'), join(releases, 'badsig'), { recursive: true });
    writeFileSync(join(releases, 'badsig', 'manifest.json.sig'), sh('node', ['scripts/update-sign.mjs', 'sign', join(work, 'bundles', 'update-key.pem'), join(releases, 'good', 'manifest.json')]) + '\n');
    cpSync(join(releases, 'good'), join(releases, 'tampered'), { recursive: true });
    const root = join(releases, 'tampered', 'root.ext4');
    sh('sh', ['-c', `gzip -dc '${root}.gz' > '${root}' && printf 'tampered' | dd of='${root}' bs=1 seek=$((64 * 1024 * 1024)) conv=notrunc status=none && gzip -n -f '${root}'`]);
    times.build_image_and_releases_s = Math.round((Date.now() - t2) / 1000);
    if (PREPARED) {
      rmSync(PREPARED, { recursive: true, force: true });
      mkdirSync(PREPARED, { recursive: true });
      sh('cp', ['--sparse=always', card, join(PREPARED, 'card.img')]);
      cpSync(releases, join(PREPARED, 'releases'), { recursive: true });
      for (const f of ['update-key.pem', 'update-key.pub']) cpSync(join(work, f), join(PREPARED, f));
      writeFileSync(join(PREPARED, 'ready'), `bundle ${sh('sha256sum', [bundle]).split(' ')[0]!.slice(0, 16)}, base ${base.split('/').pop()}, ${new Date().toISOString()}\n`);
      console.log(`update-qemu: card and releases kept in ${PREPARED}`);
    }
  }

  before(async () => {
    console.log(`update-qemu: seed ${SEED}${ONLY ? `, only ${ONLY.join(',')}` : ''}`);
    await broker.start();
    await server.start();
    probe = await MqttProbe.connect(broker.url, [`${BASE}/#`]);
    prepare();

    const guestUrl = (u: string) => u.replace('127.0.0.1', '10.0.2.2');
    const envFile = join(work, 'roombox.env');
    writeFileSync(
      envFile,
      [`ROOMBOX_ID=${ID}`, `ROOMBOX_MQTT_URL=${guestUrl(broker.url)}`, 'ROOMBOX_CONSOLE=off', `ROOMBOX_UPDATE_URL=${guestUrl(server.url('stable'))}`, `ROOMBOX_UPDATE_CONFIRM_S=${CONFIRM_S}`, 'ROOMBOX_UPDATE_GUARD_MARGIN_S=30', ''].join('\n'),
    );
    sh('mcopy', ['-o', '-i', `${card}@@${partitions(card)[0]!.start * 512}`, envFile, '::roombox.env']);
    pi = new PiFirmware(card, join(work, 'pi'));
  }, { timeout: 60 * 60_000 });

  after(async () => {
    await boot?.powerCut();
    await probe?.close();
    await server.stop();
    await broker.dispose();
    console.log(`update-qemu: times ${JSON.stringify(times)}`);
    if (process.env.UPDATE_KEEP) console.log(`update-qemu: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('refuses a bad signature, a tampered artifact and a downgrade with one clear error each, and changes no slot', { skip: unless('refusals') }, async () => {
    const t = Date.now();
    await ensureOn('a');
    assert.equal((await installed(bootMark)).installed_version, '0.1.0');
    const before = slotHashes();
    const cases: { dir: string; immediate: boolean; error: RegExp }[] = [
      { dir: 'badsig', immediate: true, error: /^bad signature: the manifest is not signed with this box's update key$/ },
      { dir: 'tampered', immediate: false, error: /^hash mismatch: part root has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$/ },
      { dir: 'old', immediate: true, error: /0\.0\.9 is older than the installed 0\.1\.0: a downgrade needs --allow-downgrade/ },
    ];
    for (const c of cases) {
      publish(c.dir);
      const mark = probe.mark();
      const answer = await probe.request(BASE, 'update install', 120_000);
      // Refused before anything is downloaded, or (a part's hash) before anything is written.
      assert.equal(answer.ok, !c.immediate, `${c.dir}: ${answer.output}`);
      const failed = await probe.waitSince(mark, isEvent('update_failed'), 600_000, `update_failed for ${c.dir}`);
      const error = JSON.parse(failed.payload).detail.error as string;
      assert.match(error, c.error, `${c.dir}: ${error}`);
      // The answer is console text, fitted to the console's 80 columns.
      if (c.immediate) assert.equal(answer.output, fit(`error: ${error}`), 'the answer and the event say the same');
      // One error: the marker request's answer comes after anything the refusal would still send.
      await probe.request(BASE, 'update status', 60_000);
      assert.equal(probe.since(mark).filter(isEvent('update_failed')).length, 1, `${c.dir}: one update_failed`);
      assert.equal(probe.since(mark).filter(isEvent('update_written')).length, 0, `${c.dir}: nothing written`);
      console.log(`update-qemu: ${c.dir} refused: ${error}`);
    }
    assert.deepEqual(slotHashes(), before, 'no slot partition changed');
    assert.equal(autoboot(), COMMITTED_A);
    times.refusals_s = Math.round((Date.now() - t) / 1000);
  });

  it('keeps booting slot A after power cuts while slot B is being written (3 runs)', { skip: unless('power-cuts') }, async () => {
    const t = Date.now();
    await ensureOn('a');
    publish('good');
    for (let run = 1; run <= 3; run++) {
      // The write pass is 50-100 %; cut somewhere in it.
      const at = 52 + Math.floor(random() * 45);
      const mark = probe.mark();
      const answer = await probe.request(BASE, 'update install', 120_000);
      assert.equal(answer.ok, true, answer.output);
      assert.match(answer.output, /installing 0\.2\.0 into slot b/);
      await probe.waitSince(mark, (m) => Number(updateState(m)?.update_percentage ?? -1) >= at, 900_000, `the write at ${at} %`);
      const end: BootEnd = await boot!.powerCut();
      assert.equal(end.reason, 'power-cut');
      console.log(`update-qemu: power cut ${run} at ${at} %`);
      assert.equal(autoboot(), COMMITTED_A, 'autoboot.txt untouched');
      assert.equal((await installed(await powerOn('a'))).installed_version, '0.1.0');
    }
    times.power_cuts_s = Math.round((Date.now() - t) / 1000);
  });

  it('five crash-looping starts enter safe mode with every amp muted and off on the sim lines; safe-mode off ends it', { skip: unless('safe-mode') }, async () => {
    const t = Date.now();
    await ensureOn('a');
    type SafeModeStatus = { active: boolean; unclean_starts: number; after: number };
    const safeMode = async () => (await probe.request<{ safe_mode: SafeModeStatus }>(BASE, 'status --json', 60_000)).data.safe_mode;
    let status = await safeMode();
    assert.equal(status.after, 5, 'ROOMBOX_SAFE_MODE_AFTER is left at its default');
    // The starts the power cuts above ended count too: cut once online until the start that
    // follows five unclean ones.
    while (!status.active) {
      assert.ok(status.unclean_starts < status.after, `${status.unclean_starts} unclean starts and no safe mode`);
      const before = status.unclean_starts;
      await boot!.powerCut();
      await powerOn('a');
      status = await safeMode();
      assert.equal(status.unclean_starts, before + 1, 'the power cut counted as an unclean start');
      console.log(`update-qemu: start after ${status.unclean_starts} unclean ones: safe mode ${status.active ? 'on' : 'off'}`);
    }
    assert.deepEqual(status, { active: true, unclean_starts: 5, after: 5 });
    const entered = await probe.waitSince(bootMark, isEvent('safe_mode_entered'), 60_000, 'safe_mode_entered');
    assert.deepEqual(JSON.parse(entered.payload).detail, { unclean_starts: 5, after: 5 });
    // The amps, read from the simulated hardware: every enable line off, every mute line asserted.
    type Gpio = { lines: { zone: string; role: string; active: boolean | null }[]; sim_chips: { kind: string; state: Record<string, unknown> }[] };
    const hw = (await probe.request<Gpio>(BASE, 'gpio --json', 60_000)).data;
    const zones = [...new Set(hw.lines.filter((l) => l.role === 'enable').map((l) => l.zone))];
    assert.ok(zones.length > 0, `amp enable lines: ${JSON.stringify(hw.lines)}`);
    for (const z of zones) {
      const line = (role: string) => hw.lines.find((l) => l.zone === z && l.role === role)?.active;
      assert.deepEqual({ enable: line('enable'), mute: line('mute') }, { enable: false, mute: true }, `zone ${z}'s amp lines`);
      const state = await probe.waitSince(bootMark, (m) => m.topic === `${BASE}/zone/${z}/state`, 60_000, `zone ${z}'s state`);
      assert.deepEqual(
        (({ power, mute }) => ({ power, mute }))(JSON.parse(probe.since(bootMark, state.topic).at(-1)!.payload) as { power: string; mute: boolean }),
        { power: 'off', mute: true },
        `zone ${z}'s state in safe mode`,
      );
    }
    const pcm = hw.sim_chips.find((c) => c.kind === 'pcm512x')?.state;
    assert.ok(pcm, `the sim board's PCM512x: ${JSON.stringify(hw.sim_chips)}`);
    assert.deepEqual({ standby: pcm.standby, mute: pcm.mute }, { standby: true, mute: { left: true, right: true } }, `the PCM512x: ${JSON.stringify(pcm)}`);
    console.log(`update-qemu: safe mode: ${zones.map((z) => `${z} enable off, mute on`).join('; ')}`);
    // Safe mode off: the count back to 0 (the good update below needs the zones back).
    const mark = probe.mark();
    const off = await probe.request(BASE, 'safe-mode off', 60_000);
    assert.equal(off.ok, true, off.output);
    await probe.waitSince(mark, isEvent('safe_mode_left'), 60_000, 'safe_mode_left');
    assert.deepEqual(await safeMode(), { active: false, unclean_starts: 0, after: 5 });
    times.safe_mode_s = Math.round((Date.now() - t) / 1000);
  });

  it('installs a good update, commits it on the trial boot, keeps zone state and every event, and survives a reset', { skip: unless('good') }, async () => {
    const t = Date.now();
    await ensureOn('a');
    const zone = await zoneName();
    publish('good');
    const volume = 37;
    let mark = probe.mark();
    await probe.publish(`${BASE}/zone/${zone}/volume/set`, String(volume));
    await probe.waitSince(mark, (m) => m.topic === `${BASE}/zone/${zone}/state` && JSON.parse(m.payload).volume === volume, 60_000, `volume ${volume}`);
    const start = probe.mark();
    const answer = await probe.request(BASE, 'update install', 120_000);
    assert.equal(answer.ok, true, answer.output);
    const end = await boot!.waitEnd(1_800_000);
    assert.equal(end.reason, 'tryboot', 'the box asked the firmware for a trial boot');
    assert.equal(end.command, '0 tryboot');
    times.install_s = Math.round((Date.now() - t) / 1000);
    mark = await powerOn('b', true);
    const committed = await probe.waitSince(mark, isEvent('update_committed'), (CONFIRM_S + 60) * 1000, 'update_committed');
    assert.equal(JSON.parse(committed.payload).detail.to_version, '0.2.0');
    assert.equal(autoboot(), COMMITTED_B);
    times.good_update_s = Math.round((Date.now() - t) / 1000);
    // Sent around the reboot, delivered: the written event (queued before the reboot) included.
    await probe.waitSince(start, isEvent('update_written'), 60_000, 'update_written');
    await probe.waitSince(start, isEvent('update_started'), 60_000, 'update_started');
    // Events and telemetry share the outbox's seq.
    const seqs = probe.since(start).filter((m) => m.topic === `${BASE}/event` || m.topic === `${BASE}/telemetry`).map((m) => JSON.parse(m.payload).seq as number);
    const first = Math.min(...seqs);
    const last = Math.max(...seqs);
    const missing = Array.from({ length: last - first + 1 }, (_, k) => first + k).filter((s) => !seqs.includes(s));
    assert.deepEqual(missing, [], `every event seq from ${first} to ${last} arrived`);
    const zoneAfter = await probe.waitSince(mark, (m) => m.topic === `${BASE}/zone/${zone}/state`, 60_000, 'the zone state on slot b');
    assert.equal(JSON.parse(zoneAfter.payload).volume, volume, 'the zone state from before the update');

    // A reset: the firmware starts the committed slot b.
    await boot!.powerCut();
    assert.equal((await installed(await powerOn('b'))).installed_version, '0.2.0');
    assert.equal(autoboot(), COMMITTED_B);
  });

  it('rolls back a release whose firmware crashes at start, and reports update_rolled_back', { skip: unless('crash') }, async () => {
    const t = Date.now();
    await ensureOn('b');
    publish('crash');
    const answer = await probe.request(BASE, 'update install', 120_000);
    assert.equal(answer.ok, true, answer.output);
    assert.match(answer.output, /installing 0\.3\.0 into slot a/);
    let end = await boot!.waitEnd(1_800_000);
    assert.equal(end.reason, 'tryboot');
    // The trial of slot a: the firmware exits at start, again and again; the guard gives up.
    boot = pi.start();
    assert.deepEqual([boot.choice.partition, boot.choice.tryboot], [2, true]);
    await boot.waitConsole(/this release crashes at start/, BOOT_MS);
    await boot.waitConsole(/tryboot-guard: trial boot of slot a/, BOOT_MS);
    end = await boot.waitEnd((CONFIRM_S + 30 + 120) * 1000);
    assert.equal(end.reason, 'reboot', 'the guard rebooted normally');
    assert.equal(autoboot(), COMMITTED_B, 'nothing committed');
    const mark = await powerOn('b');
    const rolled = await probe.waitSince(mark, isEvent('update_rolled_back'), 120_000, 'update_rolled_back');
    const detail = JSON.parse(rolled.payload).detail;
    assert.equal(detail.from_version, '0.2.0');
    assert.equal(detail.to_version, '0.3.0');
    assert.match(detail.reason, new RegExp(`firmware did not commit within ${CONFIRM_S} s`));
    assert.equal((await installed(mark)).installed_version, '0.2.0');
    times.crash_rollback_s = Math.round((Date.now() - t) / 1000);
  });
});
