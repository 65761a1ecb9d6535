import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, DB_FILE } from '../../firmware/store/database.js';
import { SqliteStateStore } from '../../firmware/store/sqlite-state-store.js';
import { createLogger } from '../../firmware/core/logger.js';
import { BoxProcess } from '../helpers/box-process.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { MqttProbe } from '../helpers/mqtt-probe.js';
import { Changes } from '../helpers/wait.js';
import { WatchedClock } from '../helpers/watched-clock.js';

const { logger: log } = createLogger('silent');

describe('database and persisted state', { timeout: 300_000 }, () => {
  it('lets a durable write and a transaction that overlap in time both commit, one after the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-db-'));
    const db = (await Database.open(dir, log)).db!;
    try {
      await db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      // The outbox's kind of transaction: it waits on something while it is open.
      const first = db.transaction(async () => {
        await db.run("INSERT INTO t VALUES ('a', 1)");
        entered();
        await held;
        await db.run("INSERT INTO t VALUES ('b', 2)");
      });
      await inside;
      // Selftest's or recording's durable write, asked for while that transaction is open.
      const second = db.durableRun("INSERT INTO t VALUES ('c', 3)");
      release();
      await Promise.all([first, second]);
      assert.deepEqual(await db.all('SELECT k, v FROM t ORDER BY k'), [{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'c', v: 3 }]);
    } finally {
      await db.close();
    }
  });

  it('moves a damaged database aside, starts a fresh one, and the box reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-db-'));
    writeFileSync(join(dir, DB_FILE), Buffer.concat([Buffer.from('this is not a database'), Buffer.alloc(8192, 0xa5)]));
    const broker = await new Mosquitto().start();
    const probe = await MqttProbe.connect(broker.url, ['roombox/testbox/event']);
    const box = new BoxProcess({ ROOMBOX_MQTT_URL: broker.url, ROOMBOX_DATA_DIR: dir }).start();
    try {
      const ev = await probe.waitFor((m) => /database_recovered/.test(m.payload), 20_000);
      const detail = JSON.parse(ev.payload).detail as { movedAside: string; reason: string };
      assert.match(detail.movedAside, /roombox\.db\.damaged-\d{4}-/);
      assert.ok(existsSync(detail.movedAside), 'the damaged file is kept for inspection');
      assert.ok(readdirSync(dir).includes(DB_FILE));
      assert.equal(await box.kill('SIGTERM'), 0);
      // The fresh database opens cleanly next time: no second recovery.
      const again = await Database.open(dir, log);
      assert.equal(again.movedAside, undefined);
      await again.db!.close();
    } finally {
      await box.dispose();
      await probe.close();
      await broker.dispose();
    }
  });

  it('keeps state across a restart and writes only on change, debounced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-db-'));
    const clock = new WatchedClock();
    let db = (await Database.open(dir, log)).db!;
    // Each transaction that ends (committed or not) is an event to wait for.
    const ended = new Changes();
    let transactions = 0;
    const transaction = db.transaction.bind(db);
    db.transaction = async (fn) => {
      try {
        return await transaction(fn);
      } finally {
        transactions++;
        // After the store has taken the result (it counts the write when the transaction returns).
        setImmediate(() => ended.changed());
      }
    };
    let state = new SqliteStateStore(db, clock, log, 2000);
    await state.load();
    for (let v = 0; v <= 40; v++) state.set('zone.living', { volume: v, mode: 'auto', mute: false });
    state.set('zone.kitchen', { volume: 20, mode: 'manual', mute: true });
    assert.equal(state.writes, 0, 'nothing written before the debounce');
    assert.deepEqual(clock.pending(), [2000], 'one debounce timer for 42 changes');
    clock.advance(2000);
    await ended.until(() => transactions === 1 && state.writes === 1, 10_000, 'the debounced write');
    assert.equal(state.writes, 1, 'one write for 42 changes');
    state.set('zone.kitchen', { volume: 20, mode: 'manual', mute: true });
    assert.deepEqual(clock.pending(), [], 'setting the same value again schedules nothing');
    clock.advance(5000);
    assert.equal(transactions, 1);
    // flush() writes whatever is pending: nothing, when the same value was set again.
    await state.flush();
    assert.equal(state.writes, 1, 'setting the same value again writes nothing');
    await state.close();
    await db.close();
    db = (await Database.open(dir, log)).db!;
    state = new SqliteStateStore(db, clock, log);
    await state.load();
    assert.deepEqual(state.get('zone.living'), { volume: 40, mode: 'auto', mute: false });
    assert.deepEqual(state.get('zone.kitchen'), { volume: 20, mode: 'manual', mute: true });
    await db.close();
  });

  it('rebuilds a file with 4 KiB pages (older firmware) with 1 KiB pages once, keeping its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-db-'));
    const sqlite3 = (await import('sqlite3')).default;
    await new Promise<void>((resolve, reject) => {
      const old = new sqlite3.Database(join(dir, DB_FILE));
      old.exec(
        `PRAGMA page_size=4096; PRAGMA journal_mode=WAL;
         CREATE TABLE outbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload TEXT NOT NULL);
         CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         INSERT INTO outbox VALUES (7, 't', '{"seq":7}'); PRAGMA user_version=1;`,
        (err) => (err ? reject(err) : old.close((e) => (e ? reject(e) : resolve()))),
      );
    });
    const db = (await Database.open(dir, log)).db!;
    assert.equal((await db.get<{ page_size: number }>('PRAGMA page_size'))!.page_size, 1024);
    assert.equal((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))!.journal_mode, 'wal');
    assert.deepEqual(await db.all('SELECT seq, payload FROM outbox'), [{ seq: 7, payload: '{"seq":7}' }]);
    await db.close();
  });

  it('migrates a fresh file to the current schema and refuses one from a newer firmware', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roombox-db-'));
    const db = (await Database.open(dir, log)).db!;
    const v = await db.get<{ user_version: number }>('PRAGMA user_version');
    assert.ok(v!.user_version >= 1);
    assert.equal((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))!.journal_mode, 'wal');
    await db.exec('PRAGMA user_version=999');
    await db.close();
    const reopened = await Database.open(dir, log);
    assert.match(reopened.refused ?? '', /newer than this firmware/);
    assert.equal(reopened.db, undefined);
  });
});
