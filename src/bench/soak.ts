import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, mint, PUBLIC_BASE_URL, signer, startProcess, timedLoad } from './harness.js';
import { SCENARIOS } from './scenarios.js';

/**
 * `npm run soak`: the service at a steady rate for at least two minutes
 * (SOAK_SECONDS, default 120; SOAK_RATE requests/s, default 80), over
 * loopback only, mixing order-select, order-sign, patient-view and feedback.
 * Reports per 20-second window: requests, errors, p99 and RSS; fails (exit 1)
 * on any error. Not part of `npm test`.
 */
const SECONDS = Math.max(20, Number(process.env.SOAK_SECONDS ?? 120));
const RATE = Number(process.env.SOAK_RATE ?? 80);
const WINDOW = 20;

function rssMb(pid: number | undefined): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024);
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-soak-'));
  const rs = await signer('RS384');
  const clientsFile = path.join(work, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify({ clients: [{ iss: rs.signer.iss, jwks: { keys: [rs.jwk] } }] }));
  const port = await freePort();
  const service = await startProcess('dist/src/main.js', { PUBLIC_BASE_URL, CDS_CLIENTS: clientsFile, NODE_ENV: 'production', LOG_LEVEL: 'warn', PORT: String(port), DATA_DIR: path.join(work, 'data') }, 'listening on');
  const url = `http://127.0.0.1:${port}`;

  // Cards to give feedback on, issued through the real API.
  const signBody = JSON.stringify(SCENARIOS['order-sign-large'].body());
  const issueTokens = await mint(rs.signer, '/cds-services/opioid-order-sign', 100);
  const cards: { uuid: string; reason: unknown }[] = [];
  for (const token of issueTokens) {
    const res = await fetch(`${url}/cds-services/opioid-order-sign`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: signBody });
    const json = (await res.json()) as { cards: { uuid: string; overrideReasons?: unknown[] }[] };
    for (const c of json.cards) if (c.overrideReasons) cards.push({ uuid: c.uuid, reason: c.overrideReasons[0] });
  }

  const perWindow = RATE * WINDOW;
  const endpoints = [
    { path: '/cds-services/opioid-order-select', body: () => JSON.stringify(SCENARIOS['order-select-small'].body()) },
    { path: '/cds-services/opioid-order-sign', body: () => signBody },
    { path: '/cds-services/opioid-patient-view', body: () => JSON.stringify(SCENARIOS['patient-view'].body()) },
    { path: '/cds-services/opioid-order-sign/feedback', body: (i: number) => JSON.stringify({ feedback: [{ card: cards[i % cards.length]!.uuid, outcome: 'overridden', overrideReason: { reason: cards[i % cards.length]!.reason }, outcomeTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }] }) },
  ];
  const rows: Record<string, unknown>[] = [];
  let totalErrors = 0;
  let totalRequests = 0;
  for (let w = 0; w < Math.ceil(SECONDS / WINDOW); w++) {
    const tokens = await Promise.all(endpoints.map((e) => mint(rs.signer, e.path, Math.ceil(perWindow / endpoints.length) + 5)));
    const used = endpoints.map(() => 0);
    // Rate over the time to the last response (see timedLoad).
    const { result, seconds } = await timedLoad({
      url,
      connections: 8,
      overallRate: RATE,
      amount: perWindow,
      requests: endpoints.map((e, k) => ({
        method: 'POST' as const,
        path: e.path,
        setupRequest: (req) => {
          const i = used[k]!++;
          return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[k]![i % tokens[k]!.length]}` }, body: e.body(w * perWindow + i) };
        },
      })),
    });
    const errors = result.errors + result.non2xx + result.timeouts;
    totalErrors += errors;
    totalRequests += result.requests.total;
    rows.push({ window: `${w * WINDOW}-${(w + 1) * WINDOW} s`, requests: result.requests.total, 'req/s': Math.round(result.requests.total / seconds), errors, 'p50 ms': result.latency.p50, 'p99 ms': result.latency.p99, 'RSS MB': rssMb(service.pid) });
  }
  service.kill('SIGTERM');
  console.log(`\nSoak: ${SECONDS} s at ${RATE} requests/s, order-select / order-sign / patient-view / feedback mixed, loopback only`);
  console.table(rows);
  console.log(`requests served: ${totalRequests}, errors: ${totalErrors}`);
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(totalErrors === 0 ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
