import { createHash, randomBytes } from 'node:crypto';
import express from 'express';
import { decodeJwt } from 'jose';
import supertest from 'supertest';
import { beforeAll, describe, expect, test } from 'vitest';
import { createFhirRouter, createFhirStore } from '../../src/sandbox/fhir-server.js';
import { demoResources } from '../../src/sandbox/seed.js';
import { createSmartAuth, type SmartAuth } from '../../src/sandbox/smart-auth.js';

/** The demo EHR's SMART authorization server: the EHR launch works, and every way of abusing it fails cleanly. */
const BASE = 'http://ehr.test';
const FHIR = `${BASE}/fhir`;
const REDIRECT = `${BASE}/app/index.html`;
let clock = Date.parse('2026-06-01T12:00:00Z');
let auth: SmartAuth;
let request: supertest.Agent;

beforeAll(async () => {
  auth = await createSmartAuth({ issuer: `${BASE}/smart`, fhirBaseUrl: FHIR, clients: [{ clientId: 'pain-app', redirectUris: [REDIRECT] }], now: () => clock });
  const store = createFhirStore();
  await store.seed(demoResources(new Date(clock)));
  const app = express();
  app.use('/smart', auth.router);
  app.use('/fhir', createFhirRouter(store, { authorize: ({ token, patientId }) => auth.authorizeFhir(token, patientId) }));
  request = supertest.agent(app);
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(launch: string, challenge: string, overrides: Record<string, string | undefined> = {}) {
  const q = new URLSearchParams();
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'pain-app',
    redirect_uri: REDIRECT,
    launch,
    scope: 'launch openid fhirUser patient/*.read patient/DetectedIssue.write',
    state: 'state-123',
    aud: FHIR,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `/smart/authorize?${q}`;
}

async function codeFor(launch: string, challenge: string) {
  const res = await request.get(authorizeUrl(launch, challenge));
  expect(res.status).toBe(302);
  return new URL(res.headers.location!).searchParams.get('code')!;
}

const exchange = (code: string, verifier: string, overrides: Record<string, string> = {}) =>
  request.post('/smart/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'pain-app', code_verifier: verifier, ...overrides });

describe('EHR launch', () => {
  test('launch -> authorize -> token gives patient, appContext, a FHIR token and an id_token', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1', appContext: 'view=pgx' });
    const { verifier, challenge } = pkce();
    const res = await exchange(await codeFor(launch, challenge), verifier);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', patient: 'pgx-poor', appContext: 'view=pgx', scope: expect.stringContaining('patient/*.read') });
    // The id_token decodes with jose even with base64url '-' and '_' in it (fhirclient's atob does not).
    const claims = decodeJwt(res.body.id_token);
    expect(claims.fhirUser).toBe(`${FHIR}/Practitioner/prac-1`);
    const read = await request.get('/fhir/Patient/pgx-poor').set('Authorization', `Bearer ${res.body.access_token}`);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe('pgx-poor');
  });

  test('the id_token payload really contains base64url-only characters', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1' });
    const { verifier, challenge } = pkce();
    const res = await exchange(await codeFor(launch, challenge), verifier);
    expect(res.body.id_token.split('.')[1]).toMatch(/[-_]/);
  });
});

describe('launch security', () => {
  test('a forged launch id is refused', async () => {
    const { challenge } = pkce();
    const res = await request.get(authorizeUrl('forged-launch', challenge));
    expect(res.status).toBe(302);
    expect(res.headers.location).toContain('error=invalid_request');
  });

  test('a launch id cannot be used twice', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1' });
    const { challenge } = pkce();
    await codeFor(launch, challenge);
    const again = await request.get(authorizeUrl(launch, challenge));
    expect(again.headers.location).toContain('error=invalid_request');
  });

  test('a wrong code_verifier is refused, and the code is then spent', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1' });
    const { verifier, challenge } = pkce();
    const code = await codeFor(launch, challenge);
    expect((await exchange(code, `${verifier}x`)).body.error).toBe('invalid_grant');
    expect((await exchange(code, verifier)).body.error).toBe('invalid_grant');
  });

  test('a code cannot be used twice', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1' });
    const { verifier, challenge } = pkce();
    const code = await codeFor(launch, challenge);
    expect((await exchange(code, verifier)).status).toBe(200);
    expect((await exchange(code, verifier)).status).toBe(400);
  });

  test('an unregistered redirect URI gets a 400 page and no redirect', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1' });
    const { challenge } = pkce();
    const res = await request.get(authorizeUrl(launch, challenge, { redirect_uri: 'https://attacker.example/cb' }));
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
  });

  test('an aud that is not this FHIR server is refused', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1' });
    const { challenge } = pkce();
    const res = await request.get(authorizeUrl(launch, challenge, { aud: 'https://other.example/fhir' }));
    expect(res.headers.location).toContain('error=invalid_request');
  });

  test('plain PKCE is refused: S256 only', async () => {
    const launch = auth.createLaunch({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1' });
    const res = await request.get(authorizeUrl(launch, 'abc', { code_challenge_method: 'plain' }));
    expect(res.headers.location).toContain('error=invalid_request');
  });

  test('an expired token and a missing token get 401 with WWW-Authenticate', async () => {
    const token = await auth.issueAccessToken({ patient: 'pgx-poor', scope: 'patient/*.read', clientId: 'pain-app' });
    clock += 10 * 60_000;
    const expired = await request.get('/fhir/Patient/pgx-poor').set('Authorization', `Bearer ${token}`);
    clock -= 10 * 60_000;
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toMatch(/^Bearer/);
    const none = await request.get('/fhir/Patient/pgx-poor');
    expect(none.status).toBe(401);
  });

  test('a patient-scoped token cannot read another patient', async () => {
    const token = await auth.issueAccessToken({ patient: 'pgx-poor', scope: 'patient/*.read', clientId: 'pain-app' });
    expect((await request.get('/fhir/Patient/benzo').set('Authorization', `Bearer ${token}`)).status).toBe(403);
    expect((await request.get('/fhir/MedicationRequest?patient=benzo').set('Authorization', `Bearer ${token}`)).status).toBe(403);
    expect((await request.get('/fhir/MedicationRequest?patient=pgx-poor').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });
});
