import type express from 'express';
import { forbidden, unauthorized } from './cds/outcome.js';
import type { PainKnowledge } from './clinical/knowledge.js';
import type { Config } from './config.js';
import { patientSummary } from './pipeline/summary.js';
import type { RuleRuntime } from './rules/runtime.js';
import type { Store } from './store/store.js';

/**
 * What the SMART app's calls to the service share (src/app-api.ts, src/nof1-api.ts, src/twin-api.ts): the app's own
 * bearer token, the FHIR servers the service may read from with it, and the patient summary read through the same
 * line as a hook call.
 */
export interface AppCallDeps {
  readonly config: Config;
  readonly rules: RuleRuntime<PainKnowledge>;
  readonly store: Store;
  readonly fhirServers: () => readonly string[];
  readonly now: () => Date;
}

/** The app's SMART access token from `Authorization: Bearer ...`; a 401 without one. */
export function appToken(req: express.Request): string {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) throw unauthorized();
  return token;
}

/** The FHIR server named by the app, without a trailing slash; a 403 unless it is one the service may read from. */
export function allowedFhirServer(url: string, deps: Pick<AppCallDeps, 'fhirServers'>): string {
  const fhirServer = url.replace(/\/+$/, '');
  if (!deps.fhirServers().includes(fhirServer)) throw forbidden('This FHIR server is not one the service may read from');
  return fhirServer;
}

/** The patient's computed picture, read from the FHIR server with the app's token (the same numbers as the cards). */
export function readPatientSummary(deps: AppCallDeps, call: { token: string; fhirServer: string; patientId: string; hookInstance: string }) {
  return patientSummary(
    {
      hook: 'patient-view',
      hookInstance: call.hookInstance,
      fhirServer: call.fhirServer,
      fhirAuthorization: { access_token: call.token, token_type: 'Bearer' },
      context: { userId: 'app', patientId: call.patientId },
      prefetch: {},
    },
    { rules: deps.rules, store: deps.store, prefetch: deps.config.prefetch, now: deps.now() },
  );
}
