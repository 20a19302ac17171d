import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { createTestClient, type TestClient } from '../helpers/client.js';
import { hookBody } from '../helpers/hooks.js';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT } from '../helpers/service.js';

const temps: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-store-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('database file', () => {
  test('an existing version-1 database is migrated in place, keeping its data', async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, 'pain-cds.sqlite'));
    db.exec(MIGRATIONS[0]!);
    db.pragma('application_id = 1346457155');
    db.pragma('user_version = 1');
    db.prepare(
      `INSERT INTO issued_card VALUES ('c1', 'opioid-order-sign', 'mme-90-reached', '1.0.0', 'p1', 'Practitioner/1', 'h1', 1, 99999999999999, '[]', '{}')`,
    ).run();
    db.close();
    const store = openSqliteStore({ dataDir: dir });
    expect(await store.findIssuedCard('c1')).toMatchObject({ ruleId: 'mme-90-reached', patientId: 'p1' });
    expect(await store.listExceptions({})).toEqual([]);
    await store.close();
    const check = new Database(path.join(dir, 'pain-cds.sqlite'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });

  test('the repeat check at signature reads one patient\'s cards of one service and their feedback by index, never by scanning a table', async () => {
    const dir = tempDir();
    await openSqliteStore({ dataDir: dir }).close();
    const db = new Database(path.join(dir, 'pain-cds.sqlite'), { readonly: true });
    // The statement of SqliteStore.cardsShown; a scan here grows with every card and feedback the hospital has ever recorded.
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT c.rule_id, max(f.outcome = 'overridden') FROM issued_card c LEFT JOIN feedback f ON f.card_uuid = c.uuid
         WHERE c.patient_id = 'p' AND c.service_id = 's' AND c.issued_at >= 0 GROUP BY c.uuid`,
      )
      .all() as { detail: string }[];
    db.close();
    const steps = plan.map((p) => p.detail);
    expect(steps.some((d) => d.includes('issued_card_patient_service'))).toBe(true);
    expect(steps.some((d) => d.includes('feedback_card'))).toBe(true);
    expect(steps.filter((d) => /^SCAN/.test(d))).toEqual([]);
  });

  test.each([
    ['a foreign SQLite database', (file: string) => {
      const db = new Database(file);
      db.exec('CREATE TABLE accounts (id INTEGER)');
      db.close();
    }, 'another application'],
    ['a corrupted file', (file: string) => fs.writeFileSync(file, Buffer.from('this is not a database at all, just some bytes '.repeat(200))), 'Cannot open'],
    ['a newer schema', (file: string) => {
      const db = new Database(file);
      db.pragma('application_id = 1346457155');
      db.pragma('user_version = 99');
      db.close();
    }, 'newer than this build'],
  ])('%s is refused with a clear message and left untouched', (_name, make, message) => {
    const dir = tempDir();
    const file = path.join(dir, 'pain-cds.sqlite');
    make(file);
    const before = fs.readFileSync(file);
    expect(() => openSqliteStore({ dataDir: dir })).toThrow(StoreUnavailableError);
    expect(() => openSqliteStore({ dataDir: dir })).toThrow(message);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});

describe('crash safety', () => {
  let client: TestClient;
  let dataDir: string;
  let port: number;
  let child: ChildProcess | undefined;
  const base = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
    client = await createTestClient('ES384');
    dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'clients.json'), JSON.stringify({ clients: [{ iss: client.iss, jwks: { keys: [client.publicJwk] } }] }));
    port = await freePort();
  }, 120_000);
  afterAll(() => child?.kill('SIGKILL'));

  /** Starts the built service as a child process; `fileSizeLimitKb` makes the OS refuse to grow any file beyond it (EFBIG), as a full disk would. */
  function start(options: { dataDir?: string; fileSizeLimitKb?: number } = {}): Promise<ChildProcess> {
    const dir = options.dataDir ?? dataDir;
    const command = options.fileSizeLimitKb ? ['/bin/bash', ['-c', `ulimit -f ${options.fileSizeLimitKb} && exec "$0" dist/src/main.js`, process.execPath]] as const : [process.execPath, ['dist/src/main.js']] as const;
    const proc = spawn(command[0], [...command[1]], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: String(port), DATA_DIR: dir, CDS_CLIENTS: path.join(dataDir, 'clients.json'), ADMIN_TOKEN: 'admin-token-crash-test-123456', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      proc.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening on')) resolve(proc);
      });
      proc.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }

  async function call(pathName: string, body: unknown) {
    const res = await fetch(`${base()}${pathName}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await client.token(`${base()}${pathName}`)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { cards?: { uuid: string; overrideReasons?: unknown[] }[] } };
  }

  test('feedback acknowledged before SIGKILL is all there after a restart', async () => {
    child = await start();
    const acknowledged: string[] = [];
    const one = async (i: number) => {
      const hook = await call('/cds-services/opioid-order-sign', hookBody('order-sign', { id: `crash-${i}`, drafts: [{ id: 'd', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 3, frequency: 4 }] }));
      if (hook.status !== 200) return;
      const card = hook.body.cards!.find((c) => c.overrideReasons)!;
      const fb = await call('/cds-services/opioid-order-sign/feedback', {
        feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason: card.overrideReasons![0] }, outcomeTimestamp: new Date().toISOString() }],
      }).catch(() => undefined);
      if (fb?.status === 200) acknowledged.push(card.uuid);
    };
    // Under load: batches of 10 concurrent clients; the process is killed while a batch is in flight.
    for (let b = 0; b < 4; b++) await Promise.all(Array.from({ length: 10 }, (_, i) => one(b * 10 + i)));
    const inFlight = Array.from({ length: 10 }, (_, i) => one(100 + i).catch(() => undefined));
    // Deliberately not a poll: the kill must land while this batch is in flight.
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGKILL');
    await Promise.all(inFlight);
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child!.once('exit', r));

    child = await start();
    const res = await fetch(`${base()}/admin/audit/feedback?limit=1000`, { headers: { authorization: 'Bearer admin-token-crash-test-123456' } });
    const stored = ((await res.json()) as { feedback: { card: string }[] }).feedback.map((f) => f.card);
    for (const uuid of acknowledged) expect(stored).toContain(uuid);
    const exceptions = await fetch(`${base()}/admin/audit/exceptions?limit=1000`, { headers: { authorization: 'Bearer admin-token-crash-test-123456' } });
    // One exception per stored override: every acknowledged one, plus at most the in-flight batch whose commit finished
    // but whose answer the kill cut off (committed, never acknowledged: the EHR's retry is a duplicate, stored once).
    const count = ((await exceptions.json()) as { count: number }).count;
    expect(count).toBe(stored.length);
    expect(count).toBeGreaterThanOrEqual(acknowledged.length);
    expect(count).toBeLessThanOrEqual(acknowledged.length + 10);
  }, 60_000);

  test('a full disk: hook calls still answer, feedback is a 503, nothing is half-written, and a retry after recovery is stored', async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    const fullDir = tempDir();
    child = await start({ dataDir: fullDir, fileSizeLimitKb: 400 });
    const oxycodone = { id: 'd', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 3, frequency: 4 };
    type Card = { uuid: string; overrideReasons: unknown[] };
    const cards: Card[] = [];
    for (let i = 0; i < 10; i++) {
      const hook = await call('/cds-services/opioid-order-sign', hookBody('order-sign', { id: `full-${i}`, drafts: [oxycodone] }));
      cards.push(hook.body.cards!.find((c) => c.overrideReasons) as Card);
    }
    const feedback = (card: Card) =>
      call('/cds-services/opioid-order-sign/feedback', { feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason: card.overrideReasons[0] }, outcomeTimestamp: new Date().toISOString() }] });
    const before = await Promise.all(cards.slice(0, 3).map(feedback));
    expect(before.map((r) => r.status)).toEqual([200, 200, 200]);

    // Hook calls keep coming while the store's files reach the size the OS allows.
    for (let i = 0; i < 300; i++) {
      const hook = await call('/cds-services/opioid-order-sign', hookBody('order-sign', { id: `filler-${i}`, drafts: [oxycodone] }));
      expect(hook.status).toBe(200);
      expect(hook.body.cards!.length).toBeGreaterThan(0);
    }
    const refused = await call('/cds-services/opioid-order-sign/feedback', {
      feedback: [{ card: cards[5]!.uuid, outcome: 'overridden', overrideReason: { reason: cards[5]!.overrideReasons[0] }, outcomeTimestamp: new Date().toISOString() }],
    });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] });

    // Restart with room: the three acknowledged are there, the refused one is not, and its retry is stored.
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = await start({ dataDir: fullDir });
    const audit = async (what: string) => (await (await fetch(`${base()}/admin/audit/${what}?limit=1000`, { headers: { authorization: 'Bearer admin-token-crash-test-123456' } })).json()) as { count: number; feedback?: { card: string }[] };
    const stored = (await audit('feedback')).feedback!.map((f) => f.card).sort();
    expect(stored).toEqual(cards.slice(0, 3).map((c) => c.uuid).sort());
    expect((await audit('exceptions')).count).toBe(3);
    expect((await feedback(cards[5]!)).status).toBe(200);
    expect((await audit('exceptions')).count).toBe(4);
  }, 90_000);

  test('SIGTERM lets in-flight requests finish, then exits 0', async () => {
    if (!child || child.exitCode !== null) child = await start();
    // A FHIR server that takes 800 ms keeps the hook call in flight while SIGTERM arrives.
    let received!: () => void;
    const arrived = new Promise<void>((r) => (received = r));
    const slow = http.createServer((req, res) => {
      received();
      setTimeout(() => {
        const body = req.url!.includes('/Patient/') ? { resourceType: 'Patient', id: 'term', birthDate: '1970-01-01' } : { resourceType: 'Bundle', type: 'searchset' };
        res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(body));
      }, 800);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const fhirServer = `http://127.0.0.1:${(slow.address() as net.AddressInfo).port}/fhir`;
    try {
      const inFlight = call('/cds-services/opioid-patient-view', { ...hookBody('patient-view', { id: 'term' }), prefetch: {}, fhirServer });
      await arrived;
      child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      const code = await new Promise((r) => child!.once('exit', r));
      expect(code).toBe(0);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  }, 30_000);
});

describe('issued cards', () => {
  test('expired issued cards are pruned unless feedback refers to them', async () => {
    const store = openSqliteStore({ dataDir: tempDir() });
    const card = (uuid: string, expiresAt: number) => ({
      uuid,
      serviceId: 's',
      ruleId: 'r',
      ruleVersion: '1.0.0',
      patientId: 'p',
      userId: 'u',
      hookInstance: 'h',
      issuedAt: new Date(0),
      expiresAt: new Date(expiresAt),
      suggestionUuids: [],
      values: {},
    });
    await store.recordIssuedCards([card('old', 1000), card('old-with-feedback', 1000), card('fresh', 10_000)]);
    await store.recordFeedback([{ cardUuid: 'old-with-feedback', serviceId: 's', outcome: 'accepted', outcomeTimestamp: new Date(500), acceptedSuggestions: [], receivedAt: new Date(500) }]);
    expect(await store.pruneExpiredCards(new Date(5000))).toBe(1);
    expect(await store.findIssuedCard('old')).toBeUndefined();
    expect(await store.findIssuedCard('old-with-feedback')).toBeDefined();
    expect(await store.findIssuedCard('fresh')).toBeDefined();
    await store.close();
  });
});

describe('configuration', () => {
  test('production without CDS_CLIENTS refuses to start, before touching DATA_DIR', async () => {
    const { composeService } = await import('../../src/compose.js');
    const { loadConfig } = await import('../../src/config.js');
    const { createLogger } = await import('../../src/logger.js');
    const dir = path.join(tempDir(), 'data');
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, RULES_DIR: path.join(REPO_ROOT, 'rules'), CARDS_DIR: path.join(REPO_ROOT, 'cards') });
    await expect(composeService(config, createLogger('silent'))).rejects.toThrow('CDS_CLIENTS: required in production');
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('a bad environment variable stops start-up with a message naming it', async () => {
    const { loadConfig } = await import('../../src/config.js');
    expect(() => loadConfig({ PORT: 'eighty', CDS_AUTH: 'maybe' })).toThrow(/PORT[\s\S]*CDS_AUTH/);
    expect(() => loadConfig({ CDS_JWT_ALGORITHMS: 'ES384,HS256' })).toThrow('HS256 can never be trusted');
  });
});
