import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { openPostgresStore } from '../../../src/store/postgres-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { freshDatabase, withClient } from '../../helpers/postgres.js';
import { exceptionOnFile as exception, feedbackRecord as feedback, issuedCard as card, NOW } from '../../helpers/store-records.js';
import { SCHEMA_VERSION as PG_SCHEMA_VERSION } from '../../../src/store/postgres/schema.js';

/**
 * One contract, every store: the embedded SQLite file (one process, and
 * several processes on one file as with WORKERS > 1) and PostgreSQL on a real
 * server (test/global-setup.ts starts it). Each implementation must behave
 * alike for every record the service keeps and every query it makes.
 */
interface Implementation {
  readonly name: string;
  /** A new, empty store; `reopen` opens another connection to the same data (a restart, or another instance). */
  fresh(): Promise<{ store: Store; reopen: () => Promise<Store> }>;
  readonly shared: boolean;
}

const dirs: string[] = [];
const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function sqlite(multiProcess: boolean): Implementation {
  return {
    name: multiProcess ? 'SQLite, several processes' : 'SQLite',
    shared: multiProcess,
    async fresh() {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
      dirs.push(dataDir);
      const make = async () => {
        const s = openSqliteStore({ dataDir, multiProcess });
        open.push(s);
        return s;
      };
      return { store: await make(), reopen: make };
    },
  };
}

const postgres: Implementation = {
  name: 'PostgreSQL',
  shared: true,
  async fresh() {
    const url = await freshDatabase('contract');
    const make = async () => {
      const s = await openPostgresStore({ url, poolMax: 4, connectTimeoutMs: 2000, statementTimeoutMs: 5000, ssl: 'off', startupWaitMs: 5000 });
      open.push(s);
      return s;
    };
    return { store: await make(), reopen: make };
  },
};

const implementations = [sqlite(false), sqlite(true), postgres];

describe.each(implementations)('store contract: $name', (impl) => {
  test('an issued card is found with every field as recorded, by this connection and another one', async () => {
    const { store, reopen } = await impl.fresh();
    await store.recordIssuedCards([card('a'), card('b', { userName: undefined, subject: undefined })]);
    expect(await store.findIssuedCard('a')).toEqual(card('a'));
    expect(await store.findIssuedCard('missing')).toBeUndefined();
    await store.close();
    const other = await reopen();
    expect(await other.findIssuedCard('a')).toEqual(card('a'));
    expect(await other.findIssuedCard('b')).toEqual(card('b', { userName: undefined, subject: undefined }));
  });

  test('feedback is stored once: identical feedback is a duplicate, feedback on an unknown card stores nothing', async () => {
    const { store } = await impl.fresh();
    await store.recordIssuedCards([card('c1')]);
    const override = feedback('c1', { outcome: 'overridden', overrideReason: { system: 'sys', code: 'stable-long-term', display: 'Stable' }, userComment: 'ok' });
    expect(await store.recordFeedback([override])).toEqual({ stored: 1, duplicates: 0 });
    expect(await store.recordFeedback([override])).toEqual({ stored: 0, duplicates: 1 });
    expect(await store.recordFeedback([feedback('unknown')])).toEqual({ stored: 0, duplicates: 1 });
    const stored = await store.listFeedback({ patientId: 'p1' });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ cardUuid: 'c1', ruleId: 'mme-90-reached', patientId: 'p1', userId: 'Practitioner/1', outcome: 'overridden', overrideReason: { system: 'sys', code: 'stable-long-term', display: 'Stable' }, userComment: 'ok' });
    expect(stored[0]!.outcomeTimestamp).toEqual(NOW);
  });

  test('exceptions on file: found for their patient while valid, from another connection too, never for others', async () => {
    const { store, reopen } = await impl.fresh();
    await store.recordIssuedCards([card('card-p2', { patientId: 'p2' })]);
    await store.recordFeedback([feedback('card-p2', { outcome: 'overridden', overrideReason: { code: 'stable-long-term' } })], [exception('p2')]);
    expect(await store.listExceptions({ patientId: 'p2', validAt: NOW })).toEqual([exception('p2')]);
    expect(await store.listExceptions({ patientId: 'p3', validAt: NOW })).toEqual([]);
    expect(await store.listExceptions({ patientId: 'p2', validAt: new Date(NOW.getTime() + 91 * 86_400_000) })).toEqual([]);
    const other = await reopen();
    expect((await other.listExceptions({ patientId: 'p2', validAt: NOW })).map((e) => e.id)).toEqual(['ex-p2']);
  });

  test('audit filters: patient, rule, prescriber, period and limit', async () => {
    const { store } = await impl.fresh();
    const t = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    await store.recordIssuedCards([card('x1'), card('x2', { patientId: 'p2', ruleId: 'other', userId: 'Practitioner/2' }), card('x3')]);
    await store.recordFeedback([feedback('x1', { outcomeTimestamp: t(1) }), feedback('x2', { outcomeTimestamp: t(2) }), feedback('x3', { outcomeTimestamp: t(3), outcome: 'overridden' })]);
    expect((await store.listFeedback({})).map((f) => f.cardUuid)).toEqual(['x1', 'x2', 'x3']);
    expect((await store.listFeedback({ ruleId: 'other' })).map((f) => f.cardUuid)).toEqual(['x2']);
    expect((await store.listFeedback({ userId: 'Practitioner/2' })).map((f) => f.cardUuid)).toEqual(['x2']);
    expect((await store.listFeedback({ from: t(2), to: t(3) })).map((f) => f.cardUuid)).toEqual(['x2']);
    expect((await store.listFeedback({ limit: 2 })).map((f) => f.cardUuid)).toEqual(['x1', 'x2']);
  });

  test('alert report: cards shown, accepted and overridden per rule with reasons; cards per call', async () => {
    const { store } = await impl.fresh();
    await store.recordIssuedCards([card('r1'), card('r2', { hookInstance: 'h2' }), card('r3', { hookInstance: 'h2', ruleId: 'other' })]);
    await store.recordFeedback([feedback('r1'), feedback('r2', { outcome: 'overridden', overrideReason: { code: '__proto__' } })]);
    const range = [new Date(NOW.getTime() - 1000), new Date(NOW.getTime() + 1000)] as const;
    const activity = await store.ruleActivity(...range);
    expect(activity.map((a) => ({ ...a, reasons: { ...a.reasons } }))).toEqual([
      { ruleId: 'mme-90-reached', shown: 2, accepted: 1, overridden: 1, reasons: { ['__proto__']: 1 } },
      { ruleId: 'other', shown: 1, accepted: 0, overridden: 0, reasons: {} },
    ]);
    expect(await store.cardsPerCall(...range)).toEqual([{ serviceId: 'opioid-order-sign', calls: 2, cards: 3, maxPerCall: 2 }]);
  });

  test('cards shown to a patient since a time, with what the prescriber did', async () => {
    const { store } = await impl.fresh();
    await store.recordIssuedCards([card('s1'), card('s2', { ruleId: 'r2' }), card('s3', { ruleId: 'r3' }), card('old', { issuedAt: new Date(0) }), card('other', { patientId: 'p9' })]);
    await store.recordFeedback([feedback('s1', { outcome: 'overridden', overrideReason: { code: 'x' } }), feedback('s2')]);
    const shown = await store.cardsShown({ patientId: 'p1', serviceId: 'opioid-order-sign', since: new Date(NOW.getTime() - 1000) });
    expect(shown.sort((a, b) => a.ruleId.localeCompare(b.ruleId))).toEqual([
      { ruleId: 'mme-90-reached', subject: 'MedicationRequest/d1', values: card('s1').values, outcome: 'overridden', overriddenWithReason: true },
      { ruleId: 'r2', subject: 'MedicationRequest/d1', values: card('s1').values, outcome: 'accepted', overriddenWithReason: false },
      { ruleId: 'r3', subject: 'MedicationRequest/d1', values: card('s1').values, outcome: undefined, overriddenWithReason: false },
    ]);
  });

  test('expired issued cards are pruned unless feedback refers to them', async () => {
    const { store } = await impl.fresh();
    const at = (ms: number) => ({ issuedAt: new Date(0), expiresAt: new Date(ms) });
    await store.recordIssuedCards([card('old', at(1000)), card('old-with-feedback', at(1000)), card('fresh', at(10_000))]);
    await store.recordFeedback([feedback('old-with-feedback')]);
    expect(await store.pruneExpiredCards(new Date(5000))).toBe(1);
    expect(await store.findIssuedCard('old')).toBeUndefined();
    expect(await store.findIssuedCard('old-with-feedback')).toBeDefined();
    expect(await store.findIssuedCard('fresh')).toBeDefined();
  });
});

// Only stores that several processes share hold the replay cache and rate buckets (one process keeps them in memory).
describe.each(implementations.filter((i) => i.shared))('store contract, shared state: $name', (impl) => {
  test('an exception filed through one connection is seen at once through another (another worker or instance)', async () => {
    const { store, reopen } = await impl.fresh();
    const other = await reopen();
    await other.recordIssuedCards([card('card-p4', { patientId: 'p4' })]);
    await other.recordFeedback([feedback('card-p4', { outcome: 'overridden', overrideReason: { code: 'stable-long-term' } })], [exception('p4', { comment: 'reviewed' })]);
    expect((await store.listExceptions({ patientId: 'p4', validAt: NOW }))[0]).toMatchObject({ id: 'ex-p4', comment: 'reviewed' });
  });

  test('shared state: a token id is refused on every connection until it expires; rate buckets are one per key for all', async () => {
    const { store, reopen } = await impl.fresh();
    const other = await reopen();
    expect(await store.shared!.rememberJti('iss\u0000j1', 5000, 1000)).toBe(true);
    expect(await other.shared!.rememberJti('iss\u0000j1', 5000, 2000)).toBe(false);
    expect(await other.shared!.rememberJti('iss\u0000j1', 9000, 6000)).toBe(true);
    // Capacity 2, one token a second.
    const take = (s: Store, at: number) => s.shared!.takeToken('client', 2, 0.001, at);
    expect([await take(store, 0), await take(other, 0), await take(store, 10)]).toEqual([true, true, false]);
    expect(await take(other, 1010)).toBe(true);
    expect(await take(store, 1020)).toBe(false);
    // Concurrent takes never hand out more than there is.
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => take(i % 2 ? store : other, 100_000)));
    expect(results.filter(Boolean)).toHaveLength(2);
  });
});

describe('PostgreSQL schema', () => {
  test('several instances migrating an empty database at once all succeed, and the schema is recorded once', async () => {
    const url = await freshDatabase('migrate');
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => openPostgresStore({ url, poolMax: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000, ssl: 'off', startupWaitMs: 10_000 })),
    );
    open.push(...stores);
    expect(await withClient(url, async (c) => (await c.query('SELECT version FROM pain_cds_schema')).rows)).toEqual([{ version: PG_SCHEMA_VERSION }]);
  });

  test('a database with a newer schema is refused with a clear message and left as it is', async () => {
    const url = await freshDatabase('newer');
    open.push(await openPostgresStore({ url, poolMax: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000, ssl: 'off', startupWaitMs: 5000 }));
    await withClient(url, (c) => c.query('UPDATE pain_cds_schema SET version = 99'));
    await expect(openPostgresStore({ url, poolMax: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000, ssl: 'off', startupWaitMs: 5000 })).rejects.toThrow(
      new RegExp(`schema version 99, newer than this build knows \\(${PG_SCHEMA_VERSION}\\); it was not modified`),
    );
    expect(await withClient(url, async (c) => (await c.query('SELECT version FROM pain_cds_schema')).rows)).toEqual([{ version: 99 }]);
  });

  test('slow at start-up (another instance holding the migration lock): a bounded wait, and start-up goes on once it is free', async () => {
    const url = await freshDatabase('slowstart');
    const options = { url, poolMax: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000, ssl: 'off' as const, startupWaitMs: 1200 };
    await withClient(url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1)', [0x50414e43]);
      const started = Date.now();
      await expect(openPostgresStore(options)).rejects.toThrow(/Another instance held the schema migration lock for over \d+ ms/);
      expect(Date.now() - started).toBeLessThan(4000);
      // Released while a second instance waits: it comes up.
      const waiting = openPostgresStore({ ...options, startupWaitMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      await holder.query('SELECT pg_advisory_unlock($1)', [0x50414e43]);
      open.push(await waiting);
    });
  });

  test('an unreachable database at start-up: a bounded wait, then a message without the password', async () => {
    const started = Date.now();
    const error = await openPostgresStore({ url: 'postgres://svc:s3cret-pw@127.0.0.1:1/db', poolMax: 2, connectTimeoutMs: 300, statementTimeoutMs: 500, ssl: 'off', startupWaitMs: 1200 }).catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(String(error)).toMatch(/PostgreSQL at postgres:\/\/svc@127\.0\.0\.1:1\/db could not be used within 1200 ms/);
    expect(String(error)).not.toContain('s3cret-pw');
  });
});
