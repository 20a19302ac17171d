import fc from 'fast-check';
import type { CarePlan, MedicationRequest } from 'fhir/r4';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dailyObservation } from '../../src/clinical/nof1/careplan.js';
import { startDemoService, type ListeningDemoService } from '../helpers/service.js';
import { isoDay } from '../unit/nof1/helpers.js';
import { CODEINE, OXYCODONE, TRAMADOL, WALKING } from '../unit/nof1/fhir-helpers.js';

/**
 * The SMART app's N-of-1 calls over HTTP against the demo EHR: the planner
 * reads the patient's CYP2D6 phenotype with the app's token and refuses
 * codeine/tramadol for poor and ultrarapid metabolizers; the report answers
 * the analysis and the CENT data from the CarePlan and its Observations or
 * from plain trial JSON; every error is an OperationOutcome.
 */
let demo: ListeningDemoService;
let base: string;

beforeAll(async () => {
  demo = await startDemoService();
  base = demo.base;
});
afterAll(async () => demo?.close());

const appToken = (patient: string) => demo.service.demo!.smart.issueAccessToken({ patient, practitioner: 'Practitioner/prac-1', scope: 'launch openid fhirUser patient/*.read', clientId: 'pain-app' });
const post = (path: string, body: unknown, token?: string) =>
  fetch(`${base}/app-api/nof1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
const plan = (patientId: string, over: Record<string, unknown> = {}) => ({ patientId, start: '2026-05-20', pairs: 3, periodDays: 7, washoutDays: 2, seed: 12345, arms: { A: TRAMADOL, B: OXYCODONE }, ...over });
const MORPHINE = { label: 'Morphine 15 mg four times a day', kind: 'drug' as const, medication: { display: 'Morphine Sulfate 15 MG Oral Tablet' }, dose: { amount: 1, unit: 'tablet', timesPerDay: 4 } };
const diagnostics = async (res: Response) => ((await res.json()) as { resourceType: string; issue: { diagnostics: string }[] }).issue.map((i) => i.diagnostics).join(' | ');

describe('POST /app-api/nof1/plan', () => {
  test.each([
    ['pgx-poor', 'poor metabolizer'],
    ['pgx-ultrarapid', 'ultrarapid metabolizer'],
  ])('%s: codeine and tramadol are refused as arms, with the service\'s own phenotype and CPIC\'s reason', async (patient, words) => {
    const res = await post('plan', { fhirServer: `${base}/fhir`, plan: plan(patient, { arms: { A: TRAMADOL, B: CODEINE } }) }, await appToken(patient));
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await diagnostics(res);
    expect(text).toContain('plan.arms.A: tramadol is refused as an arm');
    expect(text).toContain('plan.arms.B: codeine is refused as an arm');
    expect(text.toLowerCase()).toContain(words);
    expect(text).toMatch(/CPIC: Avoid/);
  });

  test('a valid plan: CarePlan, one MedicationRequest per drug period, MME and CYP2D6 per arm, seeded order', async () => {
    const res = await post('plan', { fhirServer: `${base}/fhir`, plan: plan('no-genotype', { arms: { A: WALKING, B: TRAMADOL }, separateDispensing: true }) }, await appToken('no-genotype'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { carePlan: CarePlan; medicationRequests: MedicationRequest[]; arms: { mmePerDay: number | null; cyp2d6: { status: string; text: string } }[]; randomisation: { seed: number; order: string }; pairsAdvice: string };
    expect(body.carePlan.resourceType).toBe('CarePlan');
    expect(body.carePlan.subject).toEqual({ reference: 'Patient/no-genotype' });
    expect(body.carePlan.activity).toHaveLength(6);
    expect(body.medicationRequests).toHaveLength(3);
    expect(body.arms.map((a) => a.mmePerDay)).toEqual([0, 40]);
    expect(body.arms[1]!.cyp2d6).toMatchObject({ status: 'unknown', text: expect.stringContaining('no CYP2D6 result on file') });
    expect(body.randomisation.seed).toBe(12345);
    expect(body.pairsAdvice).toMatch(/More pairs are better/);
    // Same seed, same order.
    const again = (await (await post('plan', { fhirServer: `${base}/fhir`, plan: plan('no-genotype', { arms: { A: WALKING, B: TRAMADOL } }) }, await appToken('no-genotype'))).json()) as typeof body;
    expect(again.randomisation.order).toBe(body.randomisation.order);
  });

  test('with the weight, each drug arm shows its simulated exposure for this patient (information only); without it, why not', async () => {
    type Answer = { exposures: { arm: string; text: string; exposure?: { drug: string; level: string; effectiveActivityScore: number | null } }[] };
    const body = (weightKg?: number) => ({ fhirServer: `${base}/fhir`, plan: plan('no-genotype', { arms: { A: WALKING, B: TRAMADOL } }), ...(weightKg ? { weightKg } : {}) });
    const withWeight = (await (await post('plan', body(70), await appToken('no-genotype'))).json()) as Answer;
    expect(withWeight.exposures).toHaveLength(1);
    expect(withWeight.exposures[0]).toMatchObject({ arm: 'B', exposure: { drug: 'tramadol', level: 'expected' } });
    expect(withWeight.exposures[0]!.text).toContain('no CYP2D6 result on file: shown for a normal metabolizer');
    const without = (await (await post('plan', body(), await appToken('no-genotype'))).json()) as Answer;
    expect(without.exposures).toEqual([{ arm: 'B', text: "Not simulated: enter the patient's weight to see this arm's predicted exposure." }]);
    // The inhibitor on Ana's medication list is applied to her genotype (*1/*1 on paroxetine): a morphine arm is unaffected.
    const ana = (await (await post('plan', { ...body(60), plan: plan('pgx-paroxetine', { arms: { A: WALKING, B: MORPHINE } }) }, await appToken('pgx-paroxetine'))).json()) as Answer;
    expect(ana.exposures[0]).toMatchObject({ arm: 'B', exposure: { drug: 'morphine', level: 'not-cyp2d6-dependent' } });
    const overdose = await post('plan', { fhirServer: `${base}/fhir`, plan: plan('no-genotype', { arms: { A: WALKING, B: { ...TRAMADOL, dose: { amount: 3, unit: 'tablet', timesPerDay: 4 } } } }) }, await appToken('no-genotype'));
    expect(overdose.status).toBe(400);
    expect(await diagnostics(overdose)).toMatch(/plan\.arms\.B\.dose: 150 mg of tramadol a dose is above the labelled maximum of 100 mg/);
    for (const weight of [-3, 1, 900]) {
      const bad = await post('plan', body(weight), await appToken('no-genotype'));
      expect(bad.status).toBe(400);
      expect(await diagnostics(bad)).toMatch(/weightKg: must be at (least 30|most 250) kg/);
    }
  });

  test('refuses clearly: no token 401, a FHIR server outside the allowlist 403, a bad plan 400 naming the field, never a stack trace', async () => {
    const token = await appToken('no-genotype');
    const none = await post('plan', { fhirServer: `${base}/fhir`, plan: plan('no-genotype') });
    expect(none.status).toBe(401);
    expect((await none.json()).resourceType).toBe('OperationOutcome');
    expect((await post('plan', { fhirServer: 'https://elsewhere.example/fhir', plan: plan('no-genotype') }, token)).status).toBe(403);
    const bad = await post('plan', { fhirServer: `${base}/fhir`, plan: plan('no-genotype', { pairs: 1, washoutDays: 9 }) }, token);
    expect(bad.status).toBe(400);
    const text = await diagnostics(bad);
    expect(text).toContain('plan.pairs: must be at least 2');
    expect(text).toContain('plan.washoutDays');
    const junk = await fetch(`${base}/app-api/nof1/plan`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"fhirServer": ' });
    expect(junk.status).toBe(400);
    expect(await junk.text()).not.toMatch(/at .*\.ts|node_modules/);
    expect((await post('plan', { fhirServer: `${base}/fhir`, plan: { patientId: '../x' } }, token)).status).toBe(400);
  });
});

describe('POST /app-api/nof1/report', () => {
  async function planned() {
    const res = await post('plan', { fhirServer: `${base}/fhir`, plan: plan('no-genotype') }, await appToken('no-genotype'));
    const body = (await res.json()) as { carePlan: CarePlan; periods: { arm: string; start: string }[] };
    return { carePlan: { ...body.carePlan, id: 'trial-1' }, periods: body.periods };
  }
  const pain = { system: 'http://loinc.org', code: '72514-3', display: 'Pain' };

  test("missing days are counted up to the app's own calendar day when it is within a day of the service's; otherwise the service's", async () => {
    const serverDay = new Date().toISOString().slice(0, 10);
    const res = await post('plan', { fhirServer: `${base}/fhir`, plan: plan('no-genotype', { start: isoDay(serverDay, -4) }) }, await appToken('no-genotype'));
    const carePlan = { ...((await res.json()) as { carePlan: CarePlan }).carePlan, id: 'trial-running' };
    const missing = async (today?: string) => {
      const r = await post('report', { carePlan, observations: [], ...(today ? { today } : {}) }, await appToken('no-genotype'));
      expect(r.status).toBe(200);
      return ((await r.json()) as { missingDays: number }).missingDays;
    };
    const byService = await missing();
    expect(await missing(isoDay(serverDay, -1))).toBe(byService - 1);
    expect(await missing(isoDay(serverDay, -5))).toBe(byService);
    expect((await post('report', { carePlan, observations: [], today: 'tomorrow' }, await appToken('no-genotype'))).status).toBe(400);
  });

  test('CarePlan + Observations: the analysis and the CENT report; another patient\'s and another trial\'s scores are not read', async () => {
    const { carePlan, periods } = await planned();
    const obs = periods.flatMap((p) => Array.from({ length: 7 }, (_, d) => dailyObservation('CarePlan/trial-1', 'no-genotype', pain, isoDay(p.start, d), p.arm === 'A' ? 6 + (d % 2) : 4 + (d % 2))));
    obs.push(dailyObservation('CarePlan/trial-1', 'someone-else', pain, periods[0]!.start, 10));
    obs.push(dailyObservation('CarePlan/other', 'no-genotype', pain, periods[0]!.start, 10));
    obs.push(dailyObservation('CarePlan/trial-1', 'no-genotype', pain, '2026-01-01', 55));
    // Adherence answered twice the same day (a correction): one answer counts, the last one.
    obs.push(dailyObservation('CarePlan/trial-1', 'no-genotype', { system: 'urn:pain-cds:nof1', code: 'took-trial-treatment', display: 'took' }, periods[0]!.start, false));
    obs.push(dailyObservation('CarePlan/trial-1', 'no-genotype', { system: 'urn:pain-cds:nof1', code: 'took-trial-treatment', display: 'took' }, periods[0]!.start, true));
    obs.push(dailyObservation('CarePlan/trial-1', 'no-genotype', { system: 'urn:pain-cds:nof1', code: 'drowsiness', display: 'Drowsiness' }, periods[0]!.start, 3));
    const res = await post('report', { carePlan, observations: obs }, await appToken('no-genotype'));
    expect(res.status).toBe(200);
    const r = (await res.json()) as Record<string, never> & { scoresOutOfRange: unknown[]; analysis: { meanDifference: number; credibleInterval95: number[]; observationsUsed: number }; series: unknown[]; periods: { missingDays: number }[]; adherence: { taken: number; answered: number; percent: number }; sideEffects: { name: string; days: number }[]; randomisation: { seed: number }; framing: string; safetyRecorded: boolean };
    expect(r.analysis.meanDifference).toBeCloseTo(-2, 6);
    expect(r.series).toHaveLength(42);
    expect(r.scoresOutOfRange).toEqual([{ date: '2026-01-01', value: 55 }]);
    expect(r.periods.every((p) => p.missingDays === 0)).toBe(true);
    expect(r.adherence).toEqual({ taken: 1, answered: 1, percent: 100 });
    expect(r.sideEffects[0]).toMatchObject({ name: expect.stringContaining('Drowsiness'), days: 1 });
    expect(r.randomisation.seed).toBe(12345);
    expect(r.safetyRecorded).toBe(true);
    expect(r.framing).toMatch(/not a promise of relief/);
  });

  test('a serious adverse event and an early stop: listed in the report, periods cut at the stop day', async () => {
    const { carePlan, periods } = await planned();
    const stopDay = isoDay(periods[1]!.start, 3);
    const stopped = {
      ...carePlan,
      status: 'revoked',
      extension: [
        ...(carePlan.extension ?? []),
        { url: 'urn:pain-cds:nof1-early-stop', extension: [{ url: 'date', valueDate: stopDay }, { url: 'reason', valueCoding: { system: 'urn:pain-cds:nof1', code: 'adverse-event', display: 'Adverse event' } }, { url: 'serious', valueBoolean: true }, { url: 'note', valueString: 'fainted' }] },
      ],
    };
    const obs = periods.slice(0, 2).flatMap((p) => Array.from({ length: 7 }, (_, d) => dailyObservation('CarePlan/trial-1', 'no-genotype', pain, isoDay(p.start, d), p.arm === 'A' ? 6 + (d % 2) : 4 + (d % 2))));
    obs.push(dailyObservation('CarePlan/trial-1', 'no-genotype', { system: 'urn:pain-cds:nof1', code: 'serious-adverse-event', display: 'SAE' }, stopDay, 'fainted'));
    const r = (await (await post('report', { carePlan: stopped, observations: obs }, await appToken('no-genotype'))).json()) as { status: string; earlyStop: { serious: boolean }; seriousAdverseEvents: { date: string; text: string }[]; periods: { end: string }[]; series: unknown[] };
    expect(r.status).toBe(`stopped early on ${stopDay}: Adverse event`);
    expect(r.earlyStop.serious).toBe(true);
    expect(r.seriousAdverseEvents).toEqual([{ date: stopDay, text: 'fainted' }]);
    expect(r.periods).toHaveLength(2);
    expect(r.periods[1]!.end).toBe(stopDay);
  });

  test('no scores yet: the report says why there is no estimate instead of failing', async () => {
    const { carePlan } = await planned();
    const res = await post('report', { carePlan, observations: [] }, await appToken('no-genotype'));
    expect(res.status).toBe(200);
    const r = (await res.json()) as { analysis: unknown; analysisProblems: { message: string }[] };
    expect(r.analysis).toBeNull();
    expect(r.analysisProblems[0]!.message).toMatch(/observations/);
  });

  test('plain trial JSON (the CLI input) gives the same analysis; invalid trials and CarePlans are 400 naming the problem', async () => {
    const token = await appToken('no-genotype');
    const trial = {
      treatments: { A: 'a', B: 'b' },
      outcome: { name: 'pain', lowerIsBetter: true },
      washoutDays: 0,
      periods: [{ treatment: 'A', start: '2026-01-01', end: '2026-01-03' }, { treatment: 'B', start: '2026-01-04', end: '2026-01-06' }],
      observations: [5, 6, 7, 3, 4, 5].map((value, i) => ({ date: isoDay('2026-01-01', i), value })),
    };
    const ok = (await (await post('report', { trial }, token)).json()) as { analysis: { meanDifference: number; outcome: { mcid: number; mcidSource: string } }; safetyRecorded: boolean };
    expect(ok.analysis.meanDifference).toBe(-2);
    // A trial file holds no side effects or serious adverse events: the report says they are unknown, not none.
    expect(ok.safetyRecorded).toBe(false);
    expect(ok.analysis.outcome.mcidSource).toMatch(/^nof1-defaults@2026\.5/);
    const bad = await post('report', { trial: { ...trial, periods: [{ treatment: 'C', start: '2026-01-01', end: '2026-01-03' }] } }, token);
    expect(bad.status).toBe(400);
    expect(await diagnostics(bad)).toContain('trial.periods[0].treatment: unknown arm "C"');
    const notTrial = await post('report', { carePlan: { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: 'Patient/x' } }, observations: [] }, token);
    expect(notTrial.status).toBe(400);
    expect(await diagnostics(notTrial)).toMatch(/not an N-of-1 trial/);
    expect((await post('report', { trial })).status).toBe(401);
  });
});

describe('hostile bodies', () => {
  test('any JSON body to either endpoint is answered with a 2xx or a 4xx OperationOutcome, never a 5xx or a stack trace', async () => {
    const token = await appToken('no-genotype');
    const planLike = fc.record({ fhirServer: fc.constant(`${base}/fhir`), plan: fc.dictionary(fc.constantFrom('patientId', 'start', 'pairs', 'periodDays', 'washoutDays', 'seed', 'arms', 'blinded', 'mcid', 'primaryOutcome'), fc.jsonValue()) });
    const reportLike = fc.oneof(fc.record({ trial: fc.jsonValue() }), fc.record({ carePlan: fc.dictionary(fc.string(), fc.jsonValue()), observations: fc.array(fc.jsonValue(), { maxLength: 5 }) }), fc.jsonValue());
    await fc.assert(
      fc.asyncProperty(fc.oneof(planLike.map((b) => ['plan', b] as const), reportLike.map((b) => ['report', b] as const)), async ([path, body]) => {
        const res = await post(path, body, token);
        expect(res.status).toBeLessThan(500);
        const text = await res.text();
        expect(text).not.toMatch(/at [\w.]+ \(|node_modules|\.ts:\d+/);
        if (res.status >= 400) expect(JSON.parse(text).resourceType).toBe('OperationOutcome');
      }),
      { numRuns: 120 },
    );
  }, 60_000);
});
