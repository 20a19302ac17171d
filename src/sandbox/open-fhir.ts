import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { createFhirRouter, createFhirStore } from './fhir-server.js';
import { demoResources } from './seed.js';

/**
 * `npm run demo-fhir`: the demo EHR's seeded FHIR server on its own, open (no
 * token) and with CORS, so a browser CDS client on another origin (the CDS
 * Hooks Sandbox at https://sandbox.cds-hooks.org) can read the synthetic
 * patients while the service runs with CDS_CLIENTS. Read-only, loopback only,
 * and refused in production: open means any page in this machine's browser
 * can read it, which is fine for synthetic patients and nothing else.
 */
export interface OpenFhirSettings {
  readonly host: string;
  readonly port: number;
}

const env = z.object({
  NODE_ENV: z.string().default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  DEMO_FHIR_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
});

/** 127.0.0.0/8, ::1 and localhost: the only addresses the open server may listen on. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function openFhirSettings(environment: NodeJS.ProcessEnv = process.env): OpenFhirSettings {
  const parsed = env.safeParse(environment);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  NODE_ENV: the open demo FHIR server (no token, any origin) never runs in production');
  }
  if (!isLoopback(e.HOST)) {
    throw new ConfigError(`Invalid configuration:\n  HOST: the open demo FHIR server listens on a loopback address only (127.0.0.1, ::1 or localhost), not '${e.HOST}'`);
  }
  return { host: e.HOST.trim(), port: e.DEMO_FHIR_PORT };
}

/** CORS for browser clients of any origin, without credentials; Chrome's private-network preflight is answered too. */
function openCors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Location, Content-Location');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Accept, Authorization, Content-Type, Prefer');
    res.setHeader('Access-Control-Max-Age', '600');
    if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('Access-Control-Allow-Private-Network', 'true');
    res.status(204).end();
    return;
  }
  next();
}

/** Reads and POST [type]/_search only: the open server never changes the seeded patients. */
function readOnly(req: Request, res: Response, next: NextFunction): void {
  const isSearchPost = req.method === 'POST' && /^\/[A-Za-z]+\/_search\/?$/.test(req.path);
  if (req.method === 'GET' || req.method === 'HEAD' || isSearchPost) return next();
  res
    .status(405)
    .setHeader('Allow', 'GET, POST (_search only)')
    .type('application/fhir+json')
    .send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', diagnostics: 'The open demo FHIR server is read-only' }] }));
}

export interface OpenFhirServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startOpenFhirServer(settings: OpenFhirSettings, now: () => Date = () => new Date()): Promise<OpenFhirServer> {
  if (!isLoopback(settings.host)) throw new ConfigError(`Invalid configuration:\n  HOST: the open demo FHIR server listens on a loopback address only, not '${settings.host}'`);
  const store = createFhirStore();
  await store.seed(demoResources(now()));
  const app = express();
  app.disable('x-powered-by');
  app.use('/fhir', openCors, readOnly, createFhirRouter(store));
  app.use((_req, res) => void res.status(404).type('text/plain').send('The demo FHIR server is at /fhir'));
  // Unreadable bodies and unexpected failures: an OperationOutcome, never a stack trace.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof (err as { status?: unknown })?.status === 'number' && (err as { status: number }).status < 500 ? (err as { status: number }).status : 500;
    const diagnostics = status < 500 ? 'The request could not be read' : 'Internal error';
    res.status(status).type('application/fhir+json').send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: status < 500 ? 'invalid' : 'exception', diagnostics }] }));
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    baseUrl: `http://${host}:${port}/fhir`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
