import express from 'express';
import { zodProblems } from './cds/hook-request.js';
import { invalidRequest } from './cds/outcome.js';
import { appToken } from './app-calls.js';
import type { PainKnowledge } from './clinical/knowledge.js';
import { Cyp2d6InputError, TwinInputError, whatIf, whatIfRequestSchema } from './clinical/twin/index.js';
import type { RuleRuntime } from './rules/runtime.js';

/**
 * The SMART app's what-if view (issue 23): `POST /app-api/twin/simulate` with the
 * app's SMART access token. The body is the patient's (editable) CYP2D6 result,
 * inhibitors, weight, eGFR and liver status and up to three regimens; the answer
 * compares them (src/clinical/twin/what-if.ts). Nothing is read from or written to
 * the record, and nothing is stored. An illustration for discussion, not a dosing tool.
 * Mounted at /app-api/twin beside the app API (src/compose.ts).
 */
export function twinApiRouter(deps: { rules: RuleRuntime<PainKnowledge> }): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));
  router.post('/simulate', (req, res) => {
    appToken(req);
    const parsed = whatIfRequestSchema.safeParse(req.body);
    if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
    let answer;
    try {
      answer = whatIf(parsed.data, deps.rules.serving().knowledge.twin);
    } catch (e) {
      // The request names something the tables cannot read (a drug without a model, a dose above the labelled range, an unscoreable diplotype).
      if (e instanceof TwinInputError) throw invalidRequest([{ path: e.field, message: e.message.slice(e.field.length + 2) }]);
      if (e instanceof Cyp2d6InputError) throw invalidRequest([{ path: `patient.${e.field}`, message: e.message }]);
      throw e;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json(answer);
  });
  return router;
}
