import { afterAll, beforeAll, expect, test, describe } from 'vitest';
import pg from 'pg';
import { startTempPostgres, type TempPostgres } from '../../src/tools/temp-postgres.js';
import { createTestClient } from '../helpers/client.js';
import { hookBody } from '../helpers/hooks.js';
import { until } from '../helpers/ports.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * The database away or slow, while two instances serve: a server of its own
 * (stopped and started here, so no other suite is disturbed). Hook calls still
 * answer in a bounded time, with the full alerts and a card saying the
 * exceptions on file could not be checked; feedback gets a 503 and nothing is
 * half-written; both instances recover by themselves when the database is back.
 */
const NOW = new Date('2026-06-01T12:00:00Z');
let server: TempPostgres;
let a: TestService;
let b: TestService;

type Card = { uuid: string; indicator: string; detail?: string; extension: { 'pain-cds-provenance': { ruleId: string } }; overrideReasons?: { code: string }[] };
const rule = (c: Card) => c.extension['pain-cds-provenance'].ruleId;
const oxycodone = { id: 'draft-oxy', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 2, frequency: 4 };

async function post(svc: TestService, path: string, body: unknown) {
  return svc.request.post(path).set('Authorization', `Bearer ${await svc.token(path)}`).set('Content-Type', 'application/json').send(body as object);
}
async function sign(svc: TestService, patientId: string) {
  const started = Date.now();
  const res = await post(svc, '/cds-services/opioid-order-sign', hookBody('order-sign', { id: patientId, drafts: [oxycodone] }, NOW));
  return { status: res.status, cards: (res.body.cards ?? []) as Card[], ms: Date.now() - started };
}
const overrideBody = (card: Card) => ({
  feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason: card.overrideReasons!.find((r) => r.code === 'stable-long-term') }, outcomeTimestamp: NOW.toISOString() }],
});
const count = async (sql: string, params: unknown[] = []) => {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    return Number((await c.query(sql, params)).rows[0].n);
  } finally {
    await c.end();
  }
};

describe('the database away or slow', () => {
  beforeAll(async () => {
    server = await startTempPostgres();
    const clients = { es: await createTestClient('ES384'), rs: await createTestClient('RS384') };
    const env = { DATABASE_URL: server.url, PG_POOL_MAX: '3', PG_STATEMENT_TIMEOUT_MS: '800', PG_CONNECT_TIMEOUT_MS: '800' };
    [a, b] = await Promise.all([startTestService({ env, clients, now: () => NOW }), startTestService({ env, clients, now: () => NOW })]);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    server?.stop();
  });

  test('stopped and restarted mid-run: hook calls answer with the full alerts, feedback is refused, both recover by themselves', async () => {
    // An exception on file, filed through A.
    const loud = (await sign(a, 'fault-1')).cards.find((c) => rule(c) === 'mme-90-reached')!;
    expect((await post(a, '/cds-services/opioid-order-sign/feedback', overrideBody(loud))).status).toBe(200);
    expect((await sign(b, 'fault-1')).cards.map(rule)).toContain('mme-justified');
    const before = await count('SELECT count(*) AS n FROM feedback');

    server.stopServer();
    try {
      for (const svc of [a, b]) {
        const during = await sign(svc, 'fault-1');
        expect(during.status).toBe(200);
        expect(during.ms).toBeLessThan(3000);
        // No exception can be confirmed: the full alert, and a card saying what could not be checked.
        expect(during.cards.map(rule)).toContain('mme-90-reached');
        expect(during.cards.map(rule)).not.toContain('mme-justified');
        const unavailable = during.cards.find((c) => rule(c).startsWith('data-unavailable'))!;
        expect(unavailable.detail).toContain('exceptions on file');
      }
      // Feedback during the outage: 503, quickly.
      const during = (await sign(a, 'fault-2')).cards.find((c) => rule(c) === 'mme-90-reached')!;
      const started = Date.now();
      const fb = await post(b, '/cds-services/opioid-order-sign/feedback', { feedback: [{ card: loud.uuid, outcome: 'accepted', outcomeTimestamp: NOW.toISOString() }] });
      expect(fb.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(3000);
      const fbA = await post(a, '/cds-services/opioid-order-sign/feedback', overrideBody(during));
      expect(fbA.status).toBe(503);
      expect(JSON.stringify(fbA.body)).not.toMatch(/ECONNREFUSED|postgres|at .*\.ts/);

      server.startServer();
      // Recovery by itself: the card issued during the outage was kept and retried, so its feedback is accepted (on the other instance too).
      expect(await until(async () => (await post(b, '/cds-services/opioid-order-sign/feedback', overrideBody(during))).status === 200, 15_000, 250)).toBe(true);
    } finally {
      try {
        server.startServer();
      } catch {
        // Already running.
      }
    }
    expect(await count('SELECT count(*) AS n FROM feedback')).toBe(before + 1);
    expect(await count('SELECT count(*) AS n FROM exception_on_file WHERE patient_id = $1', ['fault-2'])).toBe(1);
    expect((await sign(a, 'fault-1')).cards.map(rule)).toContain('mme-justified');
    expect((await sign(b, 'fault-2')).cards.map(rule)).toContain('mme-justified');
  }, 60_000);

  test('slow (a table locked by another session): hook calls answer within the statement timeout, feedback gets a 503 with nothing written, then it recovers', async () => {
    const card = (await sign(a, 'slow-1')).cards.find((c) => rule(c) === 'mme-90-reached')!;
    const locker = new pg.Client({ connectionString: server.url });
    await locker.connect();
    const before = await count('SELECT count(*) AS n FROM feedback');
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE exception_on_file IN ACCESS EXCLUSIVE MODE');
      const during = await sign(b, 'slow-1');
      expect(during.status).toBe(200);
      expect(during.ms).toBeLessThan(3000);
      expect(during.cards.map(rule)).toContain('mme-90-reached');
      expect(during.cards.find((c) => rule(c).startsWith('data-unavailable'))?.detail).toContain('exceptions on file');
      const fb = await post(a, '/cds-services/opioid-order-sign/feedback', overrideBody(card));
      expect(fb.status).toBe(503);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await count('SELECT count(*) AS n FROM feedback')).toBe(before);
    expect(await until(async () => (await post(a, '/cds-services/opioid-order-sign/feedback', overrideBody(card))).status === 200, 10_000, 250)).toBe(true);
    expect((await sign(b, 'slow-1')).cards.map(rule)).toContain('mme-justified');
  }, 60_000);
});

