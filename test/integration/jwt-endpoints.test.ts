import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hookBody, NOW } from '../helpers/hooks.js';
import { PUBLIC_BASE_URL, REPO_ROOT, startTestService, type TestService } from '../helpers/service.js';

/**
 * Every JWT failure is a 401 with an OperationOutcome and no detail, on
 * discovery, a service and feedback alike; valid ES384 and RS384 tokens pass.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ now: () => NOW });
});
afterAll(() => svc.close());

const ENDPOINTS = [
  { name: 'discovery', method: 'get', path: '/cds-services' },
  { name: 'service', method: 'post', path: '/cds-services/opioid-patient-view' },
  { name: 'feedback', method: 'post', path: '/cds-services/opioid-patient-view/feedback' },
] as const;

const b64url = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

async function call(endpoint: (typeof ENDPOINTS)[number], authorization: string | undefined) {
  const url = endpoint.path;
  let req = endpoint.method === 'get' ? svc.request.get(url) : svc.request.post(url).set('Content-Type', 'application/json');
  if (authorization !== undefined) req = req.set('Authorization', authorization);
  if (endpoint.name === 'service') return req.send(hookBody('patient-view'));
  if (endpoint.name === 'feedback') return req.send({ feedback: [{ card: randomUUID(), outcome: 'accepted', acceptedSuggestions: [], outcomeTimestamp: NOW.toISOString() }] });
  return req;
}

type BadToken = (aud: string) => Promise<string | undefined>;

const now = () => Math.floor(Date.now() / 1000);

const BAD_TOKENS: [string, BadToken][] = [
  ['expired', (aud) => svc.clients.es.token(aud, { iat: now() - 400, exp: now() - 100 })],
  ['issued in the future', (aud) => svc.clients.es.token(aud, { iat: now() + 600, exp: now() + 700 })],
  ['lifetime too long', (aud) => svc.clients.es.token(aud, { iat: now(), exp: now() + 3600 })],
  ['wrong aud', (aud) => svc.clients.es.token(`${aud}/other`)],
  ['aud from a Host header instead of the public URL', (aud) => svc.clients.es.token(aud.replace(PUBLIC_BASE_URL, 'http://127.0.0.1'))],
  ['unknown iss', (aud) => svc.clients.es.token(aud, { iss: 'https://unknown.example' })],
  ['unknown kid', (aud) => svc.clients.es.token(aud, { kid: 'not-a-known-key' })],
  [
    'alg none',
    async (aud) => {
      const header = b64url({ alg: 'none', typ: 'JWT', kid: svc.clients.es.kid });
      const claims = b64url({ iss: svc.clients.es.iss, aud, iat: now(), exp: now() + 60, jti: randomUUID() });
      return `${header}.${claims}.`;
    },
  ],
  [
    'HS256 with a guessable secret',
    async (aud) => {
      const header = b64url({ alg: 'HS256', typ: 'JWT', kid: svc.clients.es.kid });
      const claims = b64url({ iss: svc.clients.es.iss, aud, iat: now(), exp: now() + 60, jti: randomUUID() });
      const sig = createHmac('sha256', JSON.stringify(svc.clients.es.publicJwk)).update(`${header}.${claims}`).digest('base64url');
      return `${header}.${claims}.${sig}`;
    },
  ],
  ['missing header', async () => undefined],
];

describe.each(ENDPOINTS)('$name', (endpoint) => {
  const aud = `${PUBLIC_BASE_URL}${endpoint.path}`;

  test.each(['ES384', 'RS384'] as const)('a valid %s token is accepted', async (alg) => {
    const client = alg === 'ES384' ? svc.clients.es : svc.clients.rs;
    const res = await call(endpoint, `Bearer ${await client.token(aud)}`);
    // Feedback names an unknown card, so it passes auth and is then refused as unknown (404).
    expect(res.status).toBe(endpoint.name === 'feedback' ? 404 : 200);
  });

  test.each(BAD_TOKENS)('%s -> 401 with no detail', async (_name, make) => {
    const token = await make(aud);
    const res = await call(endpoint, token === undefined ? undefined : `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'Authentication required' }] });
  });

  test('a replayed jti -> 401', async () => {
    const token = await svc.clients.rs.token(aud);
    const first = await call(endpoint, `Bearer ${token}`);
    expect(first.status).not.toBe(401);
    const again = await call(endpoint, `Bearer ${token}`);
    expect(again.status).toBe(401);
  });
});

describe('tokens with a jku header, as the CDS Hooks Sandbox and many EHRs send them', () => {
  let keyServer: http.Server;
  let jku: string;
  let hits = 0;
  beforeAll(async () => {
    keyServer = http.createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [svc.clients.es.publicJwk] }));
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    jku = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => keyServer.close(() => resolve())));

  const signed = (kid: string, aud: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid, jku })
      .setIssuer(svc.clients.es.iss)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(svc.clients.es.privateKey);

  test.each(ENDPOINTS)('$name: the pinned key verifies it and the foreign jku is never fetched', async (endpoint) => {
    const res = await call(endpoint, `Bearer ${await signed(svc.clients.es.kid, `${PUBLIC_BASE_URL}${endpoint.path}`)}`);
    expect(res.status).toBe(endpoint.name === 'feedback' ? 404 : 200);
    expect(hits).toBe(0);
  });

  test('a kid that is not pinned -> 401, still without fetching the jku', async () => {
    const res = await call(ENDPOINTS[0], `Bearer ${await signed('not-pinned', `${PUBLIC_BASE_URL}/cds-services`)}`);
    expect(res.status).toBe(401);
    expect(hits).toBe(0);
  });
});

describe('the CDS Hooks Sandbox clients entry (its private key is public)', () => {
  const sandboxClients = path.join(REPO_ROOT, 'config', 'clients', 'cds-hooks-sandbox.json');

  test('production refuses to start with it, naming the client and why', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-prod-'));
    try {
      await expect(startTestService({ dataDir, env: { NODE_ENV: 'production', CDS_CLIENTS: sandboxClients } })).rejects.toThrow(
        /CDS_CLIENTS: client 'https:\/\/sandbox\.cds-hooks\.org' trusts the CDS Hooks Sandbox's key .*private key is published/,
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a copy under another name and issuer is refused too: the key material is compared', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pain-cds-prod-'));
    try {
      const entry = JSON.parse(fs.readFileSync(sandboxClients, 'utf8')).clients[0];
      const disguised = path.join(dataDir, 'our-ehr.json');
      fs.writeFileSync(disguised, JSON.stringify({ clients: [{ iss: 'https://ehr.hospital.example', jwks: { keys: [{ ...entry.jwks.keys[0], kid: 'prod-1' }] } }] }));
      await expect(startTestService({ dataDir, env: { NODE_ENV: 'production', CDS_CLIENTS: disguised } })).rejects.toThrow(/ehr\.hospital\.example/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('outside production it starts and logs a loud warning', async () => {
    const logs: string[] = [];
    const sandbox = await startTestService({ logs, env: { CDS_CLIENTS: sandboxClients } });
    await sandbox.close();
    const warning = logs.map((l) => JSON.parse(l)).find((l) => /^PUBLIC TEST KEY TRUSTED/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, iss: 'https://sandbox.cds-hooks.org', key: 'CDS Hooks Sandbox', via: 'pinned key' });
  });
});
