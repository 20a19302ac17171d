import express from 'express';
import type { Bundle, FhirResource, Patient } from 'fhir/r4';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFhirRouter, createFhirStore } from '../../src/sandbox/fhir-server.js';
import { isLoopback, openFhirSettings, startOpenFhirServer, type OpenFhirServer } from '../../src/sandbox/open-fhir.js';
import { DEMO_PATIENTS, demoResources } from '../../src/sandbox/seed.js';
import { createSmartAuth, type SmartAuth } from '../../src/sandbox/smart-auth.js';

/**
 * The demo FHIR server is the test EHR every integrator starts with: it must
 * answer searches the way real clients send them (POST _search with a form
 * body, as the CDS Hooks Sandbox does), keep a patient-scoped token to its
 * patient, and, in the opt-in open mode, serve browser clients on other
 * origins from a loopback address only.
 */
const BASE = 'http://ehr.test';
const FHIR = `${BASE}/fhir`;
const NOW = new Date('2026-06-01T12:00:00Z');
let auth: SmartAuth;
let request: supertest.Agent;
let userToken: string;
/** A patient-scoped token for Ana Normal (on paroxetine: she has a MedicationRequest). */
let anaToken: string;

beforeAll(async () => {
  auth = await createSmartAuth({ issuer: `${BASE}/smart`, fhirBaseUrl: FHIR, clients: [], now: () => NOW.getTime() });
  const store = createFhirStore();
  await store.seed(demoResources(NOW));
  const app = express();
  app.use('/fhir', createFhirRouter(store, { authorize: ({ token, patientId }) => auth.authorizeFhir(token, patientId) }));
  request = supertest.agent(app);
  userToken = await auth.issueAccessToken({ practitioner: 'Practitioner/prac-1', scope: 'user/*.read', clientId: 'cds-service' });
  anaToken = await auth.issueAccessToken({ patient: 'pgx-paroxetine', scope: 'patient/*.read patient/DetectedIssue.write', clientId: 'pain-app' });
});

const resources = (body: Bundle) => (body.entry ?? []).map((e) => e.resource as FhirResource);
const patientOf = (r: FhirResource) => ((r as { subject?: { reference?: string }; patient?: { reference?: string } }).subject ?? (r as { patient?: { reference?: string } }).patient)?.reference;
const bearer = (token: string) => `Bearer ${token}`;

describe('POST [type]/_search with a form body', () => {
  test('honours its patient parameter, exactly like the GET search', async () => {
    const post = await request.post('/fhir/MedicationRequest/_search').set('Authorization', bearer(userToken)).type('form').send({ patient: 'mme-stable-80' });
    expect(post.status).toBe(200);
    const found = resources(post.body);
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found.map(patientOf))).toEqual(new Set(['Patient/mme-stable-80']));
    const get = await request.get('/fhir/MedicationRequest?patient=mme-stable-80').set('Authorization', bearer(userToken));
    expect(found.map((r) => r.id).sort()).toEqual(resources(get.body).map((r) => r.id).sort());
  });

  test('joins URL and body parameters, and its next link is a plain GET search', async () => {
    const res = await request.post('/fhir/MedicationRequest/_search?_count=1').set('Authorization', bearer(userToken)).type('form').send('patient=Patient/mme-stable-80');
    expect(res.status).toBe(200);
    expect(resources(res.body)).toHaveLength(1);
    const next = (res.body as Bundle).link?.find((l) => l.relation === 'next')?.url;
    expect(next).toMatch(/^http:\/\/[^/]+\/fhir\/MedicationRequest\?/);
    expect(new URL(next!).searchParams.get('patient')).toBe('Patient/mme-stable-80');
  });

  test('a JSON body is refused with 415 and an OperationOutcome', async () => {
    const res = await request.post('/fhir/MedicationRequest/_search').set('Authorization', bearer(userToken)).send({ patient: 'benzo' });
    expect(res.status).toBe(415);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('a patient-scoped token stays in its patient compartment', () => {
  test.each([
    ['GET', '/fhir/MedicationRequest', 1],
    ['POST', '/fhir/MedicationRequest/_search', 1],
    ['GET', '/fhir/Observation?code=http://loinc.org|84413-4', 1],
    ['GET', '/fhir/MedicationRequest?_id=stable-oxy-er,benzo-alprazolam', 0],
    ['GET', '/fhir/Condition', 0],
  ])('%s %s without a patient parameter returns only its patient', async (method, url, atLeast) => {
    const req = method === 'GET' ? request.get(url) : request.post(url).type('form').send('');
    const res = await req.set('Authorization', bearer(anaToken));
    expect(res.status).toBe(200);
    const found = resources(res.body);
    expect(found.length).toBeGreaterThanOrEqual(atLeast);
    for (const r of found) expect(patientOf(r)).toBe('Patient/pgx-paroxetine');
  });

  test('the same search with a user token sees several patients (the narrowing is real)', async () => {
    const res = await request.get('/fhir/MedicationRequest').set('Authorization', bearer(userToken));
    expect(new Set(resources(res.body).map(patientOf)).size).toBeGreaterThan(1);
    const mine = await request.get('/fhir/MedicationRequest').set('Authorization', bearer(anaToken));
    expect(resources(mine.body).length).toBeGreaterThan(0);
  });

  test('a Patient search returns its own patient only; asking for another by _id is refused', async () => {
    const all = await request.get('/fhir/Patient').set('Authorization', bearer(anaToken));
    expect(resources(all.body).map((r) => r.id)).toEqual(['pgx-paroxetine']);
    expect((await request.get('/fhir/Patient?_id=benzo').set('Authorization', bearer(anaToken))).status).toBe(403);
    expect((await request.post('/fhir/MedicationRequest/_search').type('form').send({ patient: 'benzo' }).set('Authorization', bearer(anaToken))).status).toBe(403);
  });

  test("another patient's resource cannot be read by id; its own can", async () => {
    const others = resources((await request.get('/fhir/MedicationRequest?patient=benzo').set('Authorization', bearer(userToken))).body);
    const own = resources((await request.get('/fhir/MedicationRequest').set('Authorization', bearer(anaToken))).body);
    expect((await request.get(`/fhir/MedicationRequest/${others[0]!.id}`).set('Authorization', bearer(anaToken))).status).toBe(403);
    expect((await request.get(`/fhir/MedicationRequest/${own[0]!.id}`).set('Authorization', bearer(anaToken))).status).toBe(200);
  });

  test.each([
    ['a batch at the root', (r: supertest.Agent) => r.post('/fhir').send({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'MedicationRequest' } }] })],
    ['a reverse include', (r: supertest.Agent) => r.get('/fhir/Practitioner?_revinclude=MedicationRequest:requester')],
    ['a _has search', (r: supertest.Agent) => r.get('/fhir/Patient?_has:MedicationRequest:patient:status=active')],
    ['type-level history', (r: supertest.Agent) => r.get('/fhir/MedicationRequest/_history')],
  ])('%s is refused', async (_name, make) => {
    expect((await make(request).set('Authorization', bearer(anaToken))).status).toBe(403);
  });

  test('shared resources (the prescriber) stay readable', async () => {
    expect((await request.get('/fhir/Practitioner/prac-1').set('Authorization', bearer(anaToken))).status).toBe(200);
  });

  test('writes must be in its own compartment', async () => {
    const issue = (patient: string) => ({ resourceType: 'DetectedIssue', status: 'final', patient: { reference: `Patient/${patient}` } });
    expect((await request.post('/fhir/DetectedIssue').set('Authorization', bearer(anaToken)).send(issue('benzo'))).status).toBe(403);
    const created = await request.post('/fhir/DetectedIssue').set('Authorization', bearer(anaToken)).send(issue('pgx-paroxetine'));
    expect(created.status).toBe(201);
  });
});

describe('seeded patients', () => {
  test('have structured given and family names, as EHR screens and the CDS Hooks Sandbox show them', async () => {
    const res = await request.get('/fhir/Patient').set('Authorization', bearer(userToken));
    const patients = resources(res.body) as Patient[];
    expect(patients.map((p) => p.id).sort()).toEqual(DEMO_PATIENTS.map((p) => p.id).sort());
    for (const p of patients) {
      expect(p.name?.[0]?.given?.[0]).toMatch(/^[A-Z][a-z]+$/);
      expect(p.name?.[0]?.family).toMatch(/^[A-Z][a-z]+$/);
    }
    expect(patients.find((p) => p.id === 'pgx-poor')?.name?.[0]).toMatchObject({ given: ['Maria'], family: 'Poor' });
  });
});

describe('open mode (npm run demo-fhir)', () => {
  let open: OpenFhirServer;
  beforeAll(async () => {
    open = await startOpenFhirServer({ host: '127.0.0.1', port: 0 }, () => NOW);
  });
  afterAll(() => open.close());

  test('serves the seeded patients without a token, with CORS for a browser client on another origin', async () => {
    const res = await fetch(`${open.baseUrl}/Patient/pgx-poor`, { headers: { origin: 'https://sandbox.cds-hooks.org', accept: 'application/json+fhir' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await res.json()) as Patient).name?.[0]).toMatchObject({ given: ['Maria'], family: 'Poor' });
  });

  test('answers the preflight, including the private-network one', async () => {
    const res = await fetch(`${open.baseUrl}/MedicationRequest/_search`, {
      method: 'OPTIONS',
      headers: { origin: 'https://sandbox.cds-hooks.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', 'access-control-request-private-network': 'true' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
  });

  test("the sandbox's prefetch (form-body POST _search) gets its patient's data only", async () => {
    const res = await fetch(`${open.baseUrl}/MedicationRequest/_search`, { method: 'POST', headers: { origin: 'https://sandbox.cds-hooks.org', 'content-type': 'application/x-www-form-urlencoded' }, body: 'patient=benzo' });
    expect(res.status).toBe(200);
    const found = resources((await res.json()) as Bundle);
    expect(found.length).toBeGreaterThan(0);
    for (const r of found) expect(patientOf(r)).toBe('Patient/benzo');
  });

  test('is read-only', async () => {
    const res = await fetch(`${open.baseUrl}/Patient/pgx-poor`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id: 'pgx-poor' }) });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  test('listens on loopback by default, and is refused on any other address and in production', async () => {
    expect(openFhirSettings({})).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(openFhirSettings({ HOST: '::1', DEMO_FHIR_PORT: '0' })).toEqual({ host: '::1', port: 0 });
    expect(() => openFhirSettings({ HOST: '0.0.0.0' })).toThrow(/HOST: .*loopback/);
    expect(() => openFhirSettings({ HOST: '192.168.1.20' })).toThrow(/HOST/);
    expect(() => openFhirSettings({ NODE_ENV: 'production' })).toThrow(/never runs in production/);
    expect(isLoopback('127.10.0.1')).toBe(true);
    expect(isLoopback('127.0.0.1.example.org')).toBe(false);
    await expect(startOpenFhirServer({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback/);
  });
});
