import express from 'express';
import type { FhirResource, MedicationRequest } from 'fhir/r4';
import { z } from 'zod';
import { mmeHistory } from './clinical/mme/history.js';
import { computePainFacts, type PainKnowledge } from './clinical/domain.js';
import { exceptionsOnFile } from './clinical/facts/exception-facts.js';
import { checkResourceShapes, patientContextFor } from './cds/hook-handler.js';
import { zodProblems } from './cds/hook-request.js';
import { forbidden, invalidRequest, unauthorized } from './cds/outcome.js';
import { resolvePrefetch } from './cds/prefetch.js';
import type { Config } from './config.js';
import type { RuleRuntime } from './rules/runtime.js';
import { opioidPatientView } from './services/opioid-patient-view.js';
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
    // The patient-view data, plus every MedicationRequest (any status) for the dose history chart.
    const templates = { ...opioidPatientView.definition.prefetch, orderHistory: 'MedicationRequest?patient={{context.patientId}}' };
    // Wrongly typed elements from the FHIR server make their key unavailable, as in hook calls.
    const prefetch = checkResourceShapes([], await resolvePrefetch(request, { templates, required: ['patient'] }, deps.config.prefetch), ['patient']);
    const now = deps.now();
    const stored = deps.store.listExceptions({ patientId: parsed.data.patientId, validAt: now });
    const context = patientContextFor(request, prefetch, now, stored);
    const knowledge = deps.rules.knowledge;
    const facts = computePainFacts(context, knowledge).patient;
    const pick = (prefix: string) => Object.fromEntries(Object.entries(facts).filter(([k]) => k.startsWith(prefix)));
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      patient: context.patient ?? null,
      cyp2d6: pick('cyp2d6.'),
      mme: pick('mme.'),
      safeguards: { ...pick('safeguards.'), ...pick('naloxone.'), ...pick('cns.'), ...pick('pdmp.'), ...pick('risk.') },
      history: prefetch.resources.has('orderHistory') ? mmeHistory(medicationRequests(prefetch.resources.get('orderHistory')), now, knowledge.mme, context.resolveMedication) : null,
      exceptions: exceptionsOnFile(context, knowledge.overrideReasons).map((e) => ({ ...e, createdAt: e.createdAt.toISOString(), expiresAt: e.expiresAt.toISOString() })),
      overrideReasons: knowledge.overrideReasons.reasons.map((r) => ({ system: knowledge.overrideReasons.system, code: r.code, display: r.display, validityDays: r.validityDays, topics: r.topics })),
      unavailable: prefetch.unavailable.map((u) => u.key),
      // The dose levels the rules use (rules/parameters.json), for the chart.
      parameters: Object.fromEntries([...deps.rules.data.parameters].map(([name, p]) => [name, p.value])),
    });
  });
  return router;
}

const medicationRequests = (resources: readonly FhirResource[] = []) => resources.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest');
