import fc from 'fast-check';
import type { CarePlan, FhirResource } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { computePainFacts } from '../../../src/clinical/facts/index.js';
import { trialResources } from '../../../src/clinical/nof1/careplan.js';
import { readTrialCarePlan, trialInputFrom, trialObservations } from '../../../src/clinical/nof1/careplan-read.js';
import { centFromFhir } from '../../../src/clinical/nof1/cent.js';
import { planTrial } from '../../../src/clinical/nof1/planner.js';
import { buildPatientContext } from '../../../src/clinical/patient-context.js';
import { loadKnowledge } from '../../helpers/knowledge.js';
import { plannerContext, request } from './fhir-helpers.js';

/**
 * A CarePlan comes from another system and may hold anything: reading it
 * never throws (a problem is returned instead), and a hook call whose prefetch
 * holds a broken trial still computes every fact.
 */
const k = loadKnowledge();
const planned = planTrial(request(), plannerContext(k), '2026-05-19T10:00:00Z');
if (!planned.ok) throw new Error('invalid plan');
const { carePlan, medicationRequests } = trialResources(planned.value.design, '2026-05-19T10:00:00Z');
const valid = { ...carePlan, id: 't1', subject: { reference: 'Patient/p1' } } as CarePlan;

/** The valid CarePlan with one element, at any depth, replaced by an arbitrary JSON value. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const i = path[0]! % entries.length;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
  (copy as Record<string, unknown>)[entries[i]![0]] = mutate(entries[i]![1], path.slice(1), replacement);
  return copy;
}

const broken = fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 7 }), fc.jsonValue()).map(([path, value]) => mutate(valid, path, value) as CarePlan);

function factsWith(cp: unknown) {
  const context = buildPatientContext({
    now: new Date('2026-06-01T12:00:00Z'),
    patientId: 'p1',
    userId: 'Practitioner/x',
    draftOrders: [{ ...medicationRequests[0]!, id: 'draft', status: 'draft' }],
    selections: undefined,
    prefetchResources: [[cp as FhirResource, ...medicationRequests]],
    unavailable: [],
  });
  return computePainFacts(context, k);
}

describe('malformed trial CarePlans', () => {
  test('reading any mutation of a valid CarePlan never throws; the analysis input is built or a problem is named', () => {
    fc.assert(
      fc.property(broken, (cp) => {
        const r = readTrialCarePlan(cp);
        if (!r.ok) expect(r.problems.length).toBeGreaterThan(0);
        else expect(() => trialInputFrom(r.value, [], true, 'pain')).not.toThrow();
      }),
      { numRuns: 400 },
    );
    fc.assert(fc.property(fc.anything(), (x) => void readTrialCarePlan(x as CarePlan)), { numRuns: 200 });
    fc.assert(fc.property(fc.array(fc.jsonValue()), (xs) => void trialObservations('t1', xs as never)), { numRuns: 100 });
    // Observations tied to the trial but otherwise of any shape: the report is still made.
    const design = readTrialCarePlan(valid);
    if (!design.ok) throw new Error('valid plan unreadable');
    const tied = fc.dictionary(fc.constantFrom('code', 'effectiveDateTime', 'valueInteger', 'valueQuantity', 'valueBoolean', 'valueString', 'status'), fc.jsonValue()).map((o) => ({ ...o, resourceType: 'Observation', subject: { reference: 'Patient/p1' }, basedOn: [{ reference: 'CarePlan/t1' }] }));
    fc.assert(fc.property(fc.array(tied, { maxLength: 30 }), (xs) => void centFromFhir(design.value, trialObservations('t1', xs as never), k.nof1.table, '2026-06-01', k.nof1.defaults)), { numRuns: 200 });
  });

  test('a hook call with a broken trial CarePlan in prefetch still computes the facts', () => {
    fc.assert(
      fc.property(broken, (cp) => {
        const facts = factsWith({ ...(typeof cp === 'object' && cp !== null ? cp : {}), resourceType: 'CarePlan' });
        expect(typeof facts.patient['nof1.running']).toBe('boolean');
      }),
      { numRuns: 150 },
    );
  });

  test('the valid trial is seen, and another patient\'s CarePlan is never read as this patient\'s trial', () => {
    expect(factsWith(valid).patient['nof1.running']).toBe(true);
    expect(factsWith(valid).orders[0]!.facts['order.inNof1Trial']).toBe(true);
    const other = factsWith({ ...valid, subject: { reference: 'Patient/p2' } });
    expect(other.patient['nof1.running']).toBe(false);
    expect(other.orders[0]!.facts['order.inNof1Trial']).toBe(false);
  });
});
