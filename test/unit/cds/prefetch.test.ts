import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isAboutAnotherPatient } from '../../../src/cds/patient-scope.js';
import { namesPatient } from '../../../src/knowledge/references.js';
import { renderTemplate, resolvePrefetch } from '../../../src/cds/prefetch.js';
import type { HookRequest } from '../../../src/cds/types.js';

/**
 * Prefetch resolution on its own, against a small real HTTP server: given
 * data used as is, null as nothing found, missing keys fetched with the token
 * only to the named server, other patients' records never kept.
 */
const requests: { url: string; auth?: string }[] = [];
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    const bundle = (entries: unknown[]) => JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: entries.map((resource) => ({ resource })) });
    if (req.url?.startsWith('/fhir/Condition')) {
      res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(
        bundle([
          { resourceType: 'Condition', id: 'mine', subject: { reference: 'Patient/p1' }, code: { text: 'mine' } },
          { resourceType: 'Condition', id: 'theirs', subject: { reference: 'Patient/p2' }, code: { text: 'theirs' } },
        ]),
      );
    } else if (req.url?.startsWith('/fhir/Observation')) res.writeHead(401).end();
    else res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(bundle([]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const request = (prefetch: Record<string, unknown>, withServer = true): HookRequest =>
  ({
    hook: 'order-select',
    hookInstance: 'h',
    context: { userId: 'Practitioner/u1', patientId: 'p1' },
    prefetch,
    ...(withServer ? { fhirServer: base, fhirAuthorization: { access_token: 'secret-token', token_type: 'Bearer' } } : {}),
  }) as unknown as HookRequest;
const spec = { templates: { patient: 'Patient/{{context.patientId}}', conditions: 'Condition?patient={{context.patientId}}', observations: 'Observation?patient={{context.patientId}}' }, required: [] };
const options = { timeoutMs: 1000, maxPages: 2 };

describe('resolving prefetch', () => {
  test('given data is used as is, null is nothing found, and missing keys are fetched with the token', async () => {
    requests.length = 0;
    const resolved = await resolvePrefetch(request({ patient: { resourceType: 'Patient', id: 'p1' }, observations: null }), spec, options);
    expect(resolved.resources.get('patient')).toEqual([{ resourceType: 'Patient', id: 'p1' }]);
    expect(resolved.resources.get('observations')).toEqual([]);
    expect(resolved.fetched).toEqual(['conditions']);
    expect(requests).toEqual([{ url: '/fhir/Condition?patient=p1', auth: 'Bearer secret-token' }]);
  });

  test('another patient\'s records are dropped, this patient\'s kept, and the key marked as possibly incomplete', async () => {
    const resolved = await resolvePrefetch(request({ patient: { resourceType: 'Patient', id: 'p1' }, observations: null }), spec, options);
    expect(resolved.resources.get('conditions')!.map((r) => r.id)).toEqual(['mine']);
    expect(resolved.otherPatientKeys).toEqual(['conditions']);
    expect(resolved.unavailable).toContainEqual(expect.objectContaining({ key: 'conditions', otherPatient: true }));
  });

  test('a refusing FHIR server makes the key unavailable with the reason, never empty', async () => {
    const resolved = await resolvePrefetch(request({ patient: { resourceType: 'Patient', id: 'p1' }, conditions: null }), spec, options);
    expect(resolved.resources.has('observations')).toBe(false);
    expect(resolved.unavailable).toContainEqual({ key: 'observations', reason: 'FHIR server refused access (401)', refused: true });
  });

  test('with no FHIR server, missing keys are unavailable, not absent', async () => {
    const resolved = await resolvePrefetch(request({}, false), spec, options);
    expect(resolved.resources.size).toBe(0);
    expect(resolved.unavailable.map((u) => u.key).sort()).toEqual(['conditions', 'observations', 'patient']);
  });

  test('templates are filled from the context, URL-encoded; a missing token leaves the key unfetched', () => {
    expect(renderTemplate('Condition?patient={{context.patientId}}', request({}))).toBe('Condition?patient=p1');
    expect(renderTemplate('Practitioner/{{userPractitionerId}}', request({}))).toBe('Practitioner/u1');
    expect(renderTemplate('Encounter/{{context.encounterId}}', request({}))).toBeUndefined();
  });
});

describe('whose record is this', () => {
  test.each([
    ['Patient/p1', true],
    ['https://ehr.example/fhir/Patient/p1', true],
    ['Patient/p1/_history/3', true],
    ['Patient/p10', false],
    ['Group/p1', false],
  ])('%s names patient p1: %s', (reference, expected) => {
    expect(namesPatient(reference, 'p1')).toBe(expected);
  });

  test('a resource with no patient reference by nature is kept; a Patient with another id is not this patient', () => {
    expect(isAboutAnotherPatient({ resourceType: 'Medication', id: 'm' }, 'p1')).toBe(false);
    expect(isAboutAnotherPatient({ resourceType: 'Patient', id: 'p2' }, 'p1')).toBe(true);
    expect(isAboutAnotherPatient({ resourceType: 'DetectedIssue', status: 'final', patient: { reference: 'Patient/p2' } }, 'p1')).toBe(true);
  });
});
