import express from 'express';
import { z } from 'zod';
import { zodProblems } from './cds/hook-request.js';
import { invalidRequest } from './cds/outcome.js';
import { completeForm } from './clinical/pro/questionnaire.js';
import { allowedFhirServer, appToken, readPatientSummary, type AppCallDeps } from './app-calls.js';

/**
 * The SMART app's one call to the service: `POST /app-api/summary` with the
 * app's own SMART access token. The service reads the record from the FHIR
 * server with that token (only servers in the allowlist) and answers the
 * computed pharmacogenomic profile, dose breakdown, safeguards and exceptions,
 * so the app shows the same numbers as the cards.
 */
const body = z.object({ fhirServer: z.string().url(), patientId: z.string().min(1).max(256) }).strict();

export function appApiRouter(deps: AppCallDeps): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));
  router.post('/summary', async (req, res) => {
    const token = appToken(req);
    const parsed = body.safeParse(req.body);
    if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
    const fhirServer = allowedFhirServer(parsed.data.fhirServer, deps);
    const summary = await readPatientSummary(deps, { token, fhirServer, patientId: parsed.data.patientId, hookInstance: 'app' });
    res.setHeader('Cache-Control', 'no-store');
    res.json(summary);
  });
  // A completed questionnaire: validated and scored by the instrument table (one scoring for app and cards); the
  // app writes the QuestionnaireResponse and the score Observations to the EHR itself, with its own token.
  const form = z
    .object({
      instrumentId: z.string().min(1).max(64),
      patientId: z.string().min(1).max(256),
      responseId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/),
      answers: z.record(z.string().max(64), z.string().max(64)),
      author: z.object({ reference: z.string().max(256), display: z.string().max(256).optional() }).strict().optional(),
    })
    .strict();
  router.post('/questionnaire-response', (req, res) => {
    appToken(req);
    const parsed = form.safeParse(req.body);
    if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
    const pro = deps.rules.serving().knowledge.pro;
    const done = completeForm(pro.instruments, pro.instrumentsVersion, { ...parsed.data, authored: deps.now() });
    res.setHeader('Cache-Control', 'no-store');
    if ('problems' in done) {
      res.status(422).json({ problems: done.problems });
      return;
    }
    res.json({ questionnaireResponse: done.questionnaireResponse, observations: done.observations, total: done.scored.total, band: done.scored.label, selfHarm: done.scored.selfHarm ?? null });
  });
  return router;
}

