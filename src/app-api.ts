import express from 'express';
import { z } from 'zod';
import { zodProblems } from './cds/hook-request.js';
import { forbidden, invalidRequest, unauthorized } from './cds/outcome.js';
import type { PainKnowledge } from './clinical/knowledge.js';
import type { Config } from './config.js';
import { patientSummary } from './pipeline/summary.js';
import type { RuleRuntime } from './rules/runtime.js';
import type { Store } from './store/store.js';

/**
 * The SMART app's one call to the service: `POST /app-api/summary` with the
 * app's own SMART access token. The service reads the record from the FHIR
 * server with that token (only servers in the allowlist) and answers the
 * computed pharmacogenomic profile, dose breakdown, safeguards and exceptions,
 * so the app shows the same numbers as the cards.
 */
const body = z.object({ fhirServer: z.string().url(), patientId: z.string().min(1).max(256) }).strict();

export function appApiRouter(deps: { config: Config; rules: RuleRuntime<PainKnowledge>; store: Store; fhirServers: () => readonly string[]; now: () => Date }): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));
  router.post('/summary', async (req, res) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw unauthorized();
    const parsed = body.safeParse(req.body);
    if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
    const fhirServer = parsed.data.fhirServer.replace(/\/+$/, '');
    if (!deps.fhirServers().includes(fhirServer)) throw forbidden('This FHIR server is not one the service may read from');
    const request = {
      hook: 'patient-view' as const,
      hookInstance: 'app',
      fhirServer,
      fhirAuthorization: { access_token: token, token_type: 'Bearer' },
      context: { userId: 'app', patientId: parsed.data.patientId },
      prefetch: {},
    };
    const summary = await patientSummary(request, { rules: deps.rules, store: deps.store, prefetch: deps.config.prefetch, now: deps.now() });
    res.setHeader('Cache-Control', 'no-store');
    res.json(summary);
  });
  return router;
}

