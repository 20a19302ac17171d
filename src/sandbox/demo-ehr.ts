import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { mintClientToken, type DevClient } from '../cds/auth/dev-client.js';
import { PROJECT_ROOT } from '../paths.js';
import { createFhirRouter, createFhirStore } from './fhir-server.js';
import { DEMO_PATIENTS, demoResources } from './seed.js';
import { createSmartAuth, type SmartAuth } from './smart-auth.js';

/**
 * The offline demo EHR (demo mode only, never in production): the seeded
 * in-memory FHIR server, its SMART authorization server, and an order screen
 * whose small API acts as a real CDS client: a signed JWT per call, a fresh
 * hookInstance, and fhirAuthorization instead of prefetch, so the service
 * fetches what it needs from the FHIR server.
 */
export const SMART_CLIENT_ID = 'pain-app';

const demoPatientId = z.string().refine((id) => DEMO_PATIENTS.some((p) => p.id === id), 'not a demo patient');
const hookBody = z.object({
  hook: z.enum(['order-select', 'order-sign']),
  patientId: demoPatientId,
  drafts: z.array(z.looseObject({ resourceType: z.literal('MedicationRequest'), id: z.string().min(1).max(64) })).min(1).max(20),
});
const feedbackBody = z.object({ serviceId: z.string().regex(/^opioid-[a-z-]+$/), feedback: z.array(z.unknown()).min(1).max(20) });
const launchBody = z.object({ patientId: demoPatientId, appContext: z.string().max(256).optional() });

/** The demo API's answer to a body it cannot use: 400 with the fields named. */
function parse<T>(schema: z.ZodType<T>, req: express.Request, res: express.Response): T | undefined {
  const parsed = schema.safeParse(req.body);
  if (parsed.success) return parsed.data;
  res.status(400).json({ error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
  return undefined;
}

export interface DemoEhr {
  readonly mounts: { path: string; router: express.Router }[];
  readonly smart: SmartAuth;
  readonly fhirBaseUrl: string;
}

export async function createDemoEhr(options: { publicBaseUrl: string; devClient: DevClient; now?: () => Date }): Promise<DemoEhr> {
  const base = options.publicBaseUrl;
  const fhirBaseUrl = `${base}/fhir`;
  const store = createFhirStore();
  await store.seed(demoResources((options.now ?? (() => new Date()))()));
  const smart = await createSmartAuth({ issuer: `${base}/smart`, fhirBaseUrl, clients: [{ clientId: SMART_CLIENT_ID, redirectUris: [`${base}/app/index.html`] }] });

  const fhir = express.Router();
  fhir.get('/.well-known/smart-configuration', (_req, res) => void res.json(smart.configuration));
  fhir.use(createFhirRouter(store, { authorize: ({ token, patientId }) => smart.authorizeFhir(token, patientId), smart: { authorizeUrl: `${base}/smart/authorize`, tokenUrl: `${base}/smart/token` } }));

  const call = async (endpoint: string, body: unknown) => {
    const url = `${base}${endpoint}`;
    const token = await mintClientToken({ privateKey: options.devClient.privateKey, kid: options.devClient.kid, iss: options.devClient.iss, alg: 'ES384', audience: url });
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as unknown };
  };

  const api = express.Router();
  api.use(express.json({ limit: '256kb' }));
  api.get('/patients', (_req, res) => void res.json(DEMO_PATIENTS.map(({ id, label, story }) => ({ id, label, story }))));
  api.post('/hook', async (req, res) => {
    const body = parse(hookBody, req, res);
    if (!body) return;
    const { hook, patientId, drafts } = body;
    const access = await smart.issueAccessToken({ patient: patientId, practitioner: 'Practitioner/prac-1', scope: 'patient/*.read', clientId: 'cds-service' });
    const context: Record<string, unknown> = { userId: 'Practitioner/prac-1', patientId, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) } };
    if (hook === 'order-select') context.selections = drafts.map((d) => `MedicationRequest/${d.id}`);
    const serviceId = hook === 'order-select' ? 'opioid-order-select' : 'opioid-order-sign';
    const result = await call(`/cds-services/${serviceId}`, {
      hook,
      hookInstance: randomUUID(),
      fhirServer: fhirBaseUrl,
      fhirAuthorization: { access_token: access, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cds-service', patient: patientId },
      context,
    });
    res.status(result.status).json({ serviceId, ...(result.body as object) });
  });
  api.post('/feedback', async (req, res) => {
    const body = parse(feedbackBody, req, res);
    if (!body) return;
    const { serviceId, feedback } = body;
    const result = await call(`/cds-services/${serviceId}/feedback`, { feedback });
    res.status(result.status).json(result.body);
  });
  api.post('/launch', (req, res) => {
    const body = parse(launchBody, req, res);
    if (!body) return;
    const { patientId, appContext } = body;
    const launch = smart.createLaunch({ patient: patientId, practitioner: 'Practitioner/prac-1', ...(appContext ? { appContext } : {}) });
    res.json({ url: `${base}/app/launch.html?iss=${encodeURIComponent(fhirBaseUrl)}&launch=${encodeURIComponent(launch)}` });
  });

  const ehr = express.Router();
  ehr.use('/api', api);
  ehr.use(express.static(path.join(PROJECT_ROOT, 'src', 'sandbox', 'ehr-ui')));

  return {
    smart,
    fhirBaseUrl,
    mounts: [
      { path: '/fhir', router: fhir },
      { path: '/smart', router: smart.router },
      { path: '/ehr', router: ehr },
    ],
  };
}
