import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hookBody, NOW } from '../helpers/hooks.js';
import { PUBLIC_BASE_URL, startTestService, type TestService } from '../helpers/service.js';

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
