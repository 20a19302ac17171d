import { randomInt } from 'node:crypto';
import express from 'express';
import type { Observation } from 'fhir/r4';
import { z } from 'zod';
import { zodProblems } from './cds/hook-request.js';
import { invalidRequest } from './cds/outcome.js';
import { trialResources } from './clinical/nof1/careplan.js';
import { readTrialCarePlan, trialObservations } from './clinical/nof1/careplan-read.js';
import { centFromFhir, centFromInput } from './clinical/nof1/cent.js';
import { armDoseProblems, armExposures, cyp2d6SpecFrom } from './clinical/nof1/arm-exposure.js';
import { twinInputSchema } from './clinical/twin/index.js';
import { planTrial } from './clinical/nof1/planner.js';
import { parseTrial } from './clinical/nof1/trial.js';
import { namesPatient } from './knowledge/references.js';
import { allowedFhirServer, appToken, readPatientSummary, type AppCallDeps } from './app-calls.js';

/**
 * The SMART app's N-of-1 trial calls (issue 22), with the app's own SMART token:
 *
 * - `POST /app-api/nof1/plan` `{fhirServer, plan}`: checks and randomises the
 *   plan (src/clinical/nof1/planner.ts) with the patient's CYP2D6 phenotype as
 *   the service computes it (read from the FHIR server with the app's token),
 *   and answers the CarePlan, one MedicationRequest per drug period, each
 *   arm's MME and CYP2D6 check, and (with `weightKg`) each drug arm's exposure
 *   as the pharmacokinetic twin simulates it for this patient (information
 *   only). The app writes the resources to the EHR itself.
 * - `POST /app-api/nof1/report` `{carePlan, observations}` (the trial as
 *   recorded in FHIR) or `{trial}` (the plain JSON of `npm run nof1 -- analyze`):
 *   the analysis and the CENT 2015 report data.
 *
 * Errors are OperationOutcomes; answers are never cached.
 */

const planBody = z
  .object({
    fhirServer: z.string().url(),
    plan: z.record(z.string(), z.unknown()),
    // For the twin's simulated exposure of each arm (the app does not read weight from the record); not stored.
    weightKg: twinInputSchema.shape.weightKg.optional(),
  })
  .strict();
const resource = z.record(z.string(), z.unknown());
const reportBody = z.union([
  // today: the app's local calendar day (the missing-days count stops there); within a day of the service's UTC date, else the service's is used.
  z.object({ carePlan: resource, observations: z.array(resource).max(5000).default([]), today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }).strict(),
  z.object({ trial: z.unknown() }).strict(),
]);

export function nof1ApiRouter(deps: AppCallDeps): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '2mb' }));

  router.post('/plan', async (req, res) => {
    const token = appToken(req);
    const parsed = planBody.safeParse(req.body);
    if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
    const fhirServer = allowedFhirServer(parsed.data.fhirServer, deps);
    const patientId = parsed.data.plan.patientId;
    if (typeof patientId !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(patientId)) throw invalidRequest([{ path: 'plan.patientId', message: 'must be the FHIR id of the patient' }]);
    const now = deps.now();
    // The phenotype the cards act on: the same line as the app's summary (prefetch -> context -> facts).
    const summary = await readPatientSummary(deps, { token, fhirServer, patientId, hookInstance: 'app-nof1' });
    const k = deps.rules.serving().knowledge;
    const c = summary.cyp2d6;
    const phenotype = typeof c['cyp2d6.riskPhenotype'] === 'string' ? c['cyp2d6.riskPhenotype'] : null;
    const known = !summary.unavailable.includes('observations');
    const headline =
      typeof c['cyp2d6.headline'] === 'string' && c['cyp2d6.headline'] ? `CYP2D6: ${c['cyp2d6.headline']}` : known ? 'no CYP2D6 result on file' : 'CYP2D6 unknown: the laboratory results could not be read';
    const planned = planTrial(
      parsed.data.plan,
      { table: k.nof1.table, tableVersion: k.nof1.version, mme: k.mme, recommendations: k.cyp2d6.recommendations.data, cyp2d6: { phenotype, known, text: headline }, newSeed: () => randomInt(0, 0x1_0000_0000) },
      now.toISOString(),
    );
    res.setHeader('Cache-Control', 'no-store');
    if (!planned.ok) throw invalidRequest(planned.problems.map((p) => ({ path: p.path ? `plan.${p.path}` : 'plan', message: p.message })));
    const doseProblems = armDoseProblems(planned.value.design.arms, k.twin, k.mme);
    if (doseProblems.length) throw invalidRequest(doseProblems.map((p) => ({ path: `plan.${p.path}`, message: p.message })));
    const { carePlan, medicationRequests } = trialResources(planned.value.design, now.toISOString());
    res.json({
      carePlan,
      medicationRequests,
      arms: planned.value.arms,
      // The in-silico trial: each drug arm's simulated exposure for this patient (information only, never a dose).
      exposures: armExposures(
        planned.value.design.arms,
        {
          ...(parsed.data.weightKg !== undefined ? { weightKg: parsed.data.weightKg } : {}),
          cyp2d6: known ? cyp2d6SpecFrom(c) : 'unreadable',
          ...(summary.twin.inhibitors.known ? { inhibitors: summary.twin.inhibitors.names } : {}),
        },
        k.twin,
        k.mme,
      ),
      pairsAdvice: planned.value.pairsAdvice,
      cyp2d6: { phenotype, known, text: headline },
      periods: planned.value.design.periods,
      randomisation: planned.value.design.randomisation,
      table: k.nof1.version,
    });
  });

  router.post('/report', (req, res) => {
    appToken(req);
    const parsed = reportBody.safeParse(req.body);
    if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
    const k = deps.rules.serving().knowledge;
    const serverDay = deps.now().toISOString().slice(0, 10);
    const given = 'today' in parsed.data ? parsed.data.today : undefined;
    const today = given !== undefined && Math.abs(Date.parse(given) - Date.parse(serverDay)) <= 86_400_000 ? given : serverDay;
    res.setHeader('Cache-Control', 'no-store');
    if ('trial' in parsed.data) {
      const trial = parseTrial(parsed.data.trial);
      if (!trial.ok) throw invalidRequest(trial.problems.map((p) => ({ path: p.path ? `trial.${p.path}` : 'trial', message: p.message })));
      res.json(centFromInput(trial.value.input, undefined, k.nof1.defaults));
      return;
    }
    const cp = parsed.data.carePlan as unknown as Parameters<typeof readTrialCarePlan>[0];
    const design = readTrialCarePlan(cp);
    if (!design.ok) throw invalidRequest(design.problems);
    if (typeof cp.id !== 'string' || !cp.id) throw invalidRequest([{ path: 'carePlan.id', message: 'is missing: the Observations are tied to the CarePlan by its id (basedOn)' }]);
    // Only this trial's scores, and only this patient's: another patient's Observation is never read into the report.
    const observations = trialObservations(cp.id, parsed.data.observations as unknown as Observation[]).filter((o) => namesPatient(o.subject?.reference ?? '', design.value.patientId));
    res.json(centFromFhir(design.value, observations, k.nof1.table, today, k.nof1.defaults));
  });
  return router;
}
