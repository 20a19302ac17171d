import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestClient, type TestClient } from '../helpers/client.js';
import { hookBody } from '../helpers/hooks.js';
import { freePort, until } from '../helpers/ports.js';
import { freshDatabase, withClient } from '../helpers/postgres.js';
import { REPO_ROOT } from '../helpers/service.js';

/**
 * The built service as real processes (`node main.js`), as operators run it:
 * two instances on one PostgreSQL database, one of them SIGKILLed under
 * concurrent feedback; and one instance with WORKERS=2 (node:cluster), whose
 * workers must behave as one process (replay cache, rate limit, exceptions).
 * Built into test-artifacts/ so that no other suite's dist/ is touched.
 */
const BUILD = path.join(REPO_ROOT, 'test-artifacts/pg-build');
const MAIN = path.join(BUILD, 'src/main.js');
const NOW = new Date();
const running: ChildProcess[] = [];
const temps: string[] = [];
let client: TestClient;
let clientsFile: string;

beforeAll(async () => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', BUILD, '--tsBuildInfoFile', path.join(BUILD, '.tsbuildinfo')], { cwd: REPO_ROOT, stdio: 'ignore' });
  client = await createTestClient('ES384');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-proc-'));
  temps.push(dir);
  clientsFile = path.join(dir, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify({ clients: [{ iss: client.iss, jwks: { keys: [client.publicJwk] } }] }));
}, 180_000);

afterAll(async () => {
  // Only the processes started here, by their own PID (a WORKERS primary stops its workers on SIGTERM).
  await Promise.all(
    running.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
          setTimeout(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

interface Instance {
  readonly base: string;
  readonly proc: ChildProcess;
  output(): string;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-proc-data-'));
  temps.push(dataDir);
  const proc = spawn(process.execPath, [MAIN], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      CDS_CLIENTS: clientsFile,
      DATA_DIR: dataDir,
      RULES_DIR: path.join(REPO_ROOT, 'rules'),
      CARDS_DIR: path.join(REPO_ROOT, 'cards'),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
  const up = await until(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200, 30_000, 100);
  if (!up) throw new Error(`instance did not start:\n${out}`);
  return { base, proc, output: () => out };
}

/** One request on a connection of its own (no keep-alive), so that the cluster hands successive requests to different workers. */
async function call(instance: Instance, route: string, body?: unknown, token?: string): Promise<{ status: number; body: { cards?: Card[] } }> {
  const auth = token ?? (await client.token(`${instance.base}${route}`));
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${instance.base}${route}`,
      { method: payload === undefined ? 'GET' : 'POST', agent: false, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => void (text += d.toString()));
        res.on('end', () => {
          let parsed: { cards?: Card[] } = {};
          try {
            parsed = JSON.parse(text) as { cards?: Card[] };
          } catch {
            // Not JSON: status only.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

type Card = { uuid: string; extension: { 'pain-cds-provenance': { ruleId: string } }; overrideReasons?: { code: string }[] };
const oxycodone = { id: 'draft-oxy', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 2, frequency: 4 };
const sign = (i: Instance, patientId: string) => call(i, '/cds-services/opioid-order-sign', hookBody('order-sign', { id: patientId, drafts: [oxycodone] }, NOW));
const accept = (card: Card) => ({ feedback: [{ card: card.uuid, outcome: 'accepted', outcomeTimestamp: new Date().toISOString() }] });

describe('two instances on PostgreSQL as processes', () => {
  test('SIGKILL of A under concurrent feedback: every acknowledged record is on file, and B keeps answering', async () => {
    const url = await freshDatabase('sigkill');
    const env = { DATABASE_URL: url, PG_POOL_MAX: '4' };
    const [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    // Cards issued by B (committed before its answers), feedback sent to A.
    const cards: Card[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await sign(b, `kill-${i}`);
      expect(res.status).toBe(200);
      cards.push(...res.body.cards!.filter((c) => c.extension['pain-cds-provenance'].ruleId === 'mme-90-reached'));
    }
    expect(cards.length).toBe(60);
    const acknowledged: string[] = [];
    let next = 0;
    let killed = false;
    const sender = async () => {
      while (next < cards.length) {
        const card = cards[next++]!;
        const res = await call(a, '/cds-services/opioid-order-sign/feedback', accept(card)).catch(() => undefined);
        if (res?.status === 200) acknowledged.push(card.uuid);
        if (!killed && acknowledged.length >= 20) {
          killed = true;
          a.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, sender));
    expect(killed).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(20);
    const onFile = await withClient(url, async (c) => (await c.query<{ card_uuid: string }>('SELECT card_uuid FROM feedback')).rows.map((r) => r.card_uuid));
    for (const uuid of acknowledged) expect(onFile).toContain(uuid);
    // B keeps answering: hook calls, and feedback for the cards A never acknowledged.
    expect((await sign(b, 'after-kill')).status).toBe(200);
    const rest = cards.filter((c) => !onFile.includes(c.uuid));
    for (const card of rest.slice(0, 5)) expect((await call(b, '/cds-services/opioid-order-sign/feedback', accept(card))).status).toBe(200);
  }, 120_000);
});

describe.each([
  { name: 'SQLite file', env: (): Promise<Record<string, string>> => Promise.resolve({}) },
  { name: 'PostgreSQL', env: async (): Promise<Record<string, string>> => ({ DATABASE_URL: await freshDatabase('workers') }) },
])('WORKERS=2 on one host ($name)', ({ env }) => {
  let svc: Instance;
  beforeAll(async () => {
    svc = await startInstance({ WORKERS: '2', LOG_LEVEL: 'info', ...(await env()) });
  }, 60_000);

  test('both workers serve, and they act as one: a token is used once, an exception quiets every worker', async () => {
    // Each fetch opens its own connection, so the cluster hands them to both workers in turn.
    const token = await client.token(`${svc.base}/cds-services`);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(svc, '/cds-services', undefined, token)).status);
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401]);
    const loud = (await sign(svc, 'workers-1')).body.cards!.find((c) => c.extension['pain-cds-provenance'].ruleId === 'mme-90-reached')!;
    const override = {
      feedback: [{ card: loud.uuid, outcome: 'overridden', overrideReason: { reason: loud.overrideReasons!.find((r) => r.code === 'stable-long-term') }, outcomeTimestamp: new Date().toISOString() }],
    };
    expect((await call(svc, '/cds-services/opioid-order-sign/feedback', override)).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const rules = (await sign(svc, 'workers-1')).body.cards!.map((c) => c.extension['pain-cds-provenance'].ruleId);
      expect(rules).toContain('mme-justified');
    }
    // Both workers took part (round robin): each logged its own requests.
    const workers = new Set([...svc.output().matchAll(/"worker":(\d),[^\n]*"route":"\/cds-services\/opioid-order-sign"/g)].map((m) => m[1]));
    expect(workers).toEqual(new Set(['0', '1']));
  }, 60_000);
});
