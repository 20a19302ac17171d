import { afterAll, beforeAll, expect, test, describe } from 'vitest';
import { createTestClient } from '../helpers/client.js';
import { hookBody } from '../helpers/hooks.js';
import { freshDatabase, withClient } from '../helpers/postgres.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/schema.js';

/**
 * Two instances of the service on one PostgreSQL database, as behind a load
 * balancer: whatever one instance learns (issued cards, feedback, exceptions
 * on file, token ids, rate-limit counts), the other acts on at once.
 */
const NOW = new Date('2026-06-01T12:00:00Z');
const ADMIN = 'admin-token-for-tests-0123456789';
let a: TestService;
let b: TestService;
let url: string;
const PASSWORD = 'never-logged-pw-4711';
const logsOfA: string[] = [];

type Card = { uuid: string; indicator: string; extension: { 'pain-cds-provenance': { ruleId: string } }; overrideReasons?: { code: string; system: string; display: string }[] };
const rule = (c: Card) => c.extension['pain-cds-provenance'].ruleId;
const oxycodone = { id: 'draft-oxy', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 2, frequency: 4 }; // 120 MME/day

async function post(svc: TestService, path: string, body: unknown, token?: string) {
  return svc.request
    .post(path)
    .set('Authorization', `Bearer ${token ?? (await svc.token(path))}`)
    .set('Content-Type', 'application/json')
    .send(body as object);
}
async function sign(svc: TestService, patientId: string): Promise<Card[]> {
  const res = await post(svc, '/cds-services/opioid-order-sign', hookBody('order-sign', { id: patientId, drafts: [oxycodone] }, NOW));
  expect(res.status).toBe(200);
  return res.body.cards;
}
const overrideBody = (card: Card, code = 'stable-long-term') => ({
  feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason: card.overrideReasons!.find((r) => r.code === code) }, outcomeTimestamp: NOW.toISOString() }],
});

describe('two instances on one PostgreSQL database', () => {
  beforeAll(async () => {
    url = await freshDatabase('instances');
    const clients = { es: await createTestClient('ES384'), rs: await createTestClient('RS384') };
    // A's URL carries a password (the test server trusts loopback, so it is not checked): it must never reach a log line.
    const withPassword = new URL(url);
    withPassword.password = PASSWORD;
    const env = { DATABASE_URL: url, ADMIN_TOKEN: ADMIN, PG_POOL_MAX: '4' };
    // Both started at the same moment on an empty database: both migrate under the advisory lock and come up.
    [a, b] = await Promise.all([
      startTestService({ env: { ...env, DATABASE_URL: withPassword.toString() }, clients, now: () => NOW, logs: logsOfA }),
      startTestService({ env, clients, now: () => NOW }),
    ]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  test('both instances started at once on an empty database came up, and the schema was created once', async () => {
    expect(a.store.kind).toBe('postgres');
    expect((await a.request.get('/healthz')).status).toBe(200);
    expect((await b.request.get('/healthz')).status).toBe(200);
    expect(await withClient(url, async (c) => (await c.query('SELECT version FROM pain_cds_schema')).rows)).toEqual([{ version: SCHEMA_VERSION }]);
  });

  test('the database password is never logged; the store is named without it', () => {
    const text = logsOfA.join('\n');
    expect(text).toContain('PostgreSQL store ready');
    expect(text).toMatch(/"database":"postgres:\/\/postgres@127\.0\.0\.1:\d+\/instances_/);
    expect(text).not.toContain(PASSWORD);
  });

  test('a card issued on A gets feedback on B, at once', async () => {
    const card = (await sign(a, 'inst-1')).find((c) => rule(c) === 'mme-90-reached')!;
    const res = await post(b, '/cds-services/opioid-order-sign/feedback', { feedback: [{ card: card.uuid, outcome: 'accepted', outcomeTimestamp: NOW.toISOString() }] });
    expect(res.status).toBe(200);
    const audit = await a.request.get('/admin/audit/feedback?patient=inst-1').set('Authorization', `Bearer ${ADMIN}`);
    expect(audit.body.feedback).toEqual(expect.arrayContaining([expect.objectContaining({ card: card.uuid, outcome: 'accepted' })]));
  });

  test('an override on A quiets the alert on B (the exception on file is shared)', async () => {
    const loud = (await sign(a, 'inst-2')).find((c) => rule(c) === 'mme-90-reached')!;
    expect(loud.indicator).toBe('warning');
    expect((await post(a, '/cds-services/opioid-order-sign/feedback', overrideBody(loud))).status).toBe(200);
    const onB = await sign(b, 'inst-2');
    expect(onB.map(rule)).not.toContain('mme-90-reached');
    expect(onB.map(rule)).toContain('mme-justified');
    // And the other way round, for a patient B learns about first.
    const loudB = (await sign(b, 'inst-3')).find((c) => rule(c) === 'mme-90-reached')!;
    expect((await post(b, '/cds-services/opioid-order-sign/feedback', overrideBody(loudB))).status).toBe(200);
    expect((await sign(a, 'inst-3')).map(rule)).toContain('mme-justified');
  });

  test('a token used on A is refused on B (shared jti replay cache)', async () => {
    const token = await a.token('/cds-services');
    expect((await a.request.get('/cds-services').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await b.request.get('/cds-services').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    expect((await a.request.get('/cds-services').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    // Entries expire with the token: the row carries the token's expiry (plus the clock skew allowed).
    const rows = await withClient(url, async (c) => (await c.query<{ expires_at: number }>('SELECT expires_at::float8 AS expires_at FROM jti_seen')).rows);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.expires_at).toBeLessThan(Date.now() + 10 * 60_000);
  });

  test('the audit API answers the same on both instances', async () => {
    const fromA = await a.request.get('/admin/audit/exceptions').set('Authorization', `Bearer ${ADMIN}`);
    const fromB = await b.request.get('/admin/audit/exceptions').set('Authorization', `Bearer ${ADMIN}`);
    expect(fromA.status).toBe(200);
    expect(fromB.body).toEqual(fromA.body);
    expect(JSON.stringify(fromA.body)).toContain('inst-2');
  });
});

describe('a rate limit shared by two instances', () => {
  test('a client over its rate on A and B together gets 429 on either; another client is not affected', async () => {
    const dbUrl = await freshDatabase('rate');
    const clients = { es: await createTestClient('ES384'), rs: await createTestClient('RS384') };
    const env = { DATABASE_URL: dbUrl, CDS_RATE_LIMIT_PER_MINUTE: '3', PG_POOL_MAX: '2' };
    const [x, y] = await Promise.all([startTestService({ env, clients }), startTestService({ env, clients })]);
    try {
      const get = (svc: TestService, client = clients.es) => svc.token('/cds-services', client).then((t) => svc.request.get('/cds-services').set('Authorization', `Bearer ${t}`));
      const statuses = [(await get(x)).status, (await get(y)).status, (await get(x)).status, (await get(y)).status];
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await get(x, clients.rs)).status).toBe(200);
    } finally {
      await x.close();
      await y.close();
    }
  });
});
