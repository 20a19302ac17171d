import type { PainKnowledge } from '../../../src/clinical/knowledge.js';
import type { PlannerContext, PlanRequest } from '../../../src/clinical/nof1/planner.js';

/** Planner inputs for the N-of-1 FHIR, planner and MME-counting tests. */
export const TRAMADOL = { label: 'Tramadol 50 mg four times a day', kind: 'drug' as const, medication: { code: '835603', display: 'Tramadol Hydrochloride 50 MG Oral Tablet' }, dose: { amount: 1, unit: 'tablet', timesPerDay: 4 } };
export const OXYCODONE = { label: 'Oxycodone 5 mg four times a day', kind: 'drug' as const, medication: { display: 'Oxycodone Hydrochloride 5 MG Oral Tablet' }, dose: { amount: 1, unit: 'tablet', timesPerDay: 4 } };
export const CODEINE = { label: 'Paracetamol-codeine 300/30 four times a day', kind: 'drug' as const, medication: { code: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet' }, dose: { amount: 1, unit: 'tablet', timesPerDay: 4 } };
export const WALKING = { label: 'Daily 20-minute walk, no analgesic', kind: 'non-drug' as const };

export function plannerContext(k: PainKnowledge, phenotype: string | null = 'NM', known = true): PlannerContext {
  return {
    table: k.nof1.table,
    tableVersion: k.nof1.version,
    mme: k.mme,
    recommendations: k.cyp2d6.recommendations.data,
    cyp2d6: { phenotype, known, text: phenotype ? `CYP2D6 ${phenotype}` : 'no CYP2D6 result' },
    newSeed: () => 4242,
  };
}

export function request(over: Partial<PlanRequest> = {}): PlanRequest {
  return { patientId: 'p1', start: '2026-05-20', pairs: 3, periodDays: 7, washoutDays: 2, seed: 12345, arms: { A: TRAMADOL, B: OXYCODONE }, ...over };
}
