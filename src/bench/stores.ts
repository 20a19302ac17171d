import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort, mint, PUBLIC_BASE_URL, ROOT, signer, startProcess, timedLoad, type Signer } from './harness.js';
import { SCENARIOS } from './scenarios.js';
import { startTempPostgres } from '../tools/temp-postgres.js';

/**
 * `npm run bench:stores`: the service's throughput with each store and
 * number of worker processes: SQLite and PostgreSQL, WORKERS=1 and 2. Each
 * hook call reads the exceptions on file and records its cards (PostgreSQL:
 * committed before the answer, plus the shared jti and rate-limit writes);
 * a feedback series measures the write path. PostgreSQL is BENCH_DATABASE_URL,
 * or a throwaway local server (durable settings: fsync on) when the server
 * binaries are installed. On a 2-core machine the load generator, the
 * service's workers and PostgreSQL share the cores: compare the rows with
 * each other, not with a larger host.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (process.env.BENCH_QUICK ? 1 : 2));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? (process.env.BENCH_QUICK ? 500 : 2000));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

interface Row {
  store: string;
  workers: number;
  scenario: string;
  'req/s': number;
  'p50 ms': string;
  'p99 ms': string;
  errors: number;
}

async function load(port: number, endpoint: string, bodies: () => string, tokens: string[]) {
  let next = 0;
  const { result, seconds } = await timedLoad({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    amount: tokens.length,
    requests: [{ method: 'POST', path: endpoint, setupRequest: (req) => ({ ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[next++ % tokens.length]}` }, body: bodies() }) }],
  });
  return { rps: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts };
}

/** Cards issued by the service for a body, to send feedback on. */
async function issueCards(port: number, s: Signer, n: number): Promise<string[]> {
  const endpoint = '/cds-services/opioid-order-select';
  const tokens = await mint(s, endpoint, n);
  const body = JSON.stringify(SCENARIOS['order-select-small'].body());
  const uuids: string[] = [];
  for (const token of tokens) {
    const res = await fetch(`http://127.0.0.1:${port}${endpoint}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const json = (await res.json()) as { cards?: { uuid: string }[] };
    uuids.push(...(json.cards ?? []).map((c) => c.uuid));
  }
  return uuids;
}

async function measure(store: string, workers: number, env: Record<string, string>, rs: Signer, work: string): Promise<Row[]> {
  const port = await freePort();
  const service: ChildProcess = await startProcess('dist/src/main.js', { PUBLIC_BASE_URL, NODE_ENV: 'production', LOG_LEVEL: 'warn', CDS_CLIENTS: path.join(work, 'clients.json'), PORT: String(port), DATA_DIR: path.join(work, `data-${store}-${workers}`), WORKERS: String(workers), ...env }, 'listening on');
  const rows: Row[] = [];
  try {
    for (const name of ['order-select-small', 'order-sign-large'] as const) {
      const s = SCENARIOS[name];
      const endpoint = `/cds-services/${s.serviceId}`;
      const body = JSON.stringify(s.body());
      await load(port, endpoint, () => body, await mint(rs, endpoint, 300));
      const runs = [];
      for (let r = 0; r < ROUNDS; r++) runs.push(await load(port, endpoint, () => body, await mint(rs, endpoint, REQUESTS)));
      rows.push(row(store, workers, name, runs));
    }
    // Feedback: each request accepts one issued card (one transaction, committed before the answer).
    const cards = await issueCards(port, rs, Math.min(REQUESTS, 1000));
    let i = 0;
    const endpoint = '/cds-services/opioid-order-select/feedback';
    const feedbackBody = () => JSON.stringify({ feedback: [{ card: cards[i++ % cards.length], outcome: 'accepted', outcomeTimestamp: new Date().toISOString() }] });
    rows.push(row(store, workers, 'feedback', [await load(port, endpoint, feedbackBody, await mint(rs, endpoint, cards.length))]));
  } finally {
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
  }
  return rows;
}

function row(store: string, workers: number, scenario: string, runs: { rps: number; p50: number; p99: number; errors: number }[]): Row {
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  return { store, workers, scenario, 'req/s': Math.round(mean((r) => r.rps)), 'p50 ms': mean((r) => r.p50).toFixed(1), 'p99 ms': mean((r) => r.p99).toFixed(1), errors: runs.reduce((s, r) => s + r.errors, 0) };
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-bench-stores-'));
  const rs = await signer('RS384');
  fs.writeFileSync(path.join(work, 'clients.json'), JSON.stringify({ clients: [{ iss: rs.signer.iss, jwks: { keys: [rs.jwk] } }] }));
  const temp = process.env.BENCH_DATABASE_URL ? undefined : await startTempPostgres({ durable: true });
  const pgUrl = process.env.BENCH_DATABASE_URL ?? temp!.url;
  const rows: Row[] = [];
  try {
    for (const workers of [1, 2]) {
      rows.push(...(await measure('sqlite', workers, {}, rs.signer, work)));
      rows.push(...(await measure('postgres', workers, { DATABASE_URL: pgUrl, PG_POOL_MAX: '10' }, rs.signer, work)));
    }
  } finally {
    temp?.stop();
  }
  console.log(`\nStores and workers (${CONNECTIONS} connections, ${ROUNDS} rounds x ${REQUESTS} requests; ${os.availableParallelism()} cores shared by the load generator, the service and PostgreSQL)`);
  console.table(rows);
  const out = { at: new Date().toISOString(), node: process.version, cpus: os.availableParallelism(), rows };
  fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
  const file = path.join(ROOT, 'bench-results', `stores-${out.at.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`written ${path.relative(ROOT, file)}`);
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
