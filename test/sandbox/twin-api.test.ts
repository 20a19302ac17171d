import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDemoService, type ListeningDemoService } from '../helpers/service.js';

/**
 * The what-if view's call (`POST /app-api/twin/simulate`, issue 23) over HTTP
 * against the demo service, and the kidney and liver facts the app summary now
 * carries for it.
 */
let demo: ListeningDemoService;

beforeAll(async () => {
  demo = await startDemoService();
}, 60_000);

afterAll(async () => {
  await demo?.close();
});

const appToken = (patient: string) => demo.service.demo!.smart.issueAccessToken({ patient, practitioner: 'Practitioner/prac-1', scope: 'launch openid fhirUser patient/*.read', clientId: 'pain-app' });
const post = (body: unknown, token: string | undefined = 'app-token-for-the-what-if', raw?: string) =>
  fetch(`${demo.base}/app-api/twin/simulate`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: raw ?? JSON.stringify(body) });

type Outcome = { resourceType: string; issue: { diagnostics: string; expression?: string[] }[] };
type Regimen = {
  label: string;
  drug: string;
  active: { name: string; auc24: number; cmax: number };
  parent: { name: string; auc24: number };
  series: { timeHours: number[]; active: number[]; parent: number[] };
  normalMetabolizer: { auc24: number; steadyStateRange: { low: number; high: number } };
  referenceRanges: { analgesic: unknown; toxic: unknown; note: string };
  exposure: { level: string; note: string | null; fractionOfNormal: number };
  mme: { perDay: number | null };
  cpic: { phenotype: string | null; advice: string };
  kidney: { eGFR: number | null; applied: boolean; statement: string };
  liver: { status: string; applied: boolean; statement: string };
  summary: string[];
};
type Answer = { label: string; regimens: Regimen[]; modelVersions: string[]; patient: { cyp2d6: { effectiveActivityScore: number } | null } };

const paroxetinePatient = { weightKg: 70, cyp2d6: { diplotype: '*1/*1' }, inhibitors: ['paroxetine'], eGFR: 38, liver: 'none-recorded' };
const threeRegimens = [
  { label: 'Draft order', drug: 'codeine', doseMg: 30, intervalHours: 6 },
  { drug: 'tramadol', doseMg: 50, intervalHours: 6 },
  { drug: 'morphine', doseMg: 15, intervalHours: 4 },
];

describe('POST /app-api/twin/simulate', () => {
  test('compares up to three regimens: curves, steady-state exposure, ranges or their absence, MME, CPIC advice, kidney limits, sentences, versions, label', async () => {
    const res = await post({ patient: paroxetinePatient, regimens: threeRegimens });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Answer;
    expect(body.label).toMatch(/not a dosing tool/);
    expect(body.patient.cyp2d6!.effectiveActivityScore).toBe(0);
    const [codeine, tramadol, morphine] = body.regimens as [Regimen, Regimen, Regimen];
    expect(codeine.label).toBe('Draft order');
    expect(codeine.active.name).toBe('morphine');
    expect(codeine.series.timeHours.length).toBe(codeine.series.active.length);
    expect(codeine.series.timeHours.at(-1)).toBe(120);
    // Paroxetine makes this normal metabolizer a poor one: little morphine from codeine, flagged with the named cut-off.
    expect(codeine.exposure.level).toBe('little-active-drug');
    expect(codeine.active.auc24 / codeine.normalMetabolizer.auc24).toBeLessThan(0.05);
    expect(codeine.cpic).toMatchObject({ phenotype: 'Poor metabolizer' });
    expect(codeine.cpic.advice).toMatch(/Avoid/);
    expect(codeine.mme.perDay).toBe(18);
    expect(tramadol.mme.perDay).toBe(40);
    expect(morphine.mme.perDay).toBe(90);
    expect(morphine.exposure.level).toBe('not-cyp2d6-dependent');
    expect(morphine.cpic.advice).toMatch(/Not activated by CYP2D6/);
    // No cited source gives an analgesic or toxic range: said, not invented.
    expect(codeine.referenceRanges.analgesic).toBeNull();
    expect(codeine.referenceRanges.toxic).toBeNull();
    expect(codeine.referenceRanges.note).toMatch(/None of the cited sources/);
    // eGFR is shown, never applied, with the model's limit in words.
    expect(codeine.kidney).toMatchObject({ eGFR: 38, applied: false });
    expect(codeine.kidney.statement).toMatch(/does not account for reduced kidney function.*morphine-6-glucuronide/s);
    expect(morphine.liver.statement).toMatch(/does not account for liver disease/);
    expect(codeine.summary.join(' ')).toMatch(/Paroxetine slows the enzyme/);
    expect(body.modelVersions).toEqual(expect.arrayContaining([expect.stringMatching(/^pk-models@2026\.3#codeine-morphine@1\.1\.0$/), expect.stringMatching(/^cpic-opioid-recommendations@/)]));
  });

  test('what if paroxetine stopped: the same regimen gives a normal metabolizer\'s morphine', async () => {
    const withIt = (await (await post({ patient: paroxetinePatient, regimens: [threeRegimens[0]] })).json()) as Answer;
    const without = (await (await post({ patient: { ...paroxetinePatient, inhibitors: [] }, regimens: [threeRegimens[0]] })).json()) as Answer;
    expect(without.regimens[0]!.active.auc24).toBeGreaterThan(20 * withIt.regimens[0]!.active.auc24);
    expect(without.regimens[0]!.exposure.level).toBe('expected');
    expect(without.regimens[0]!.cpic.phenotype).toBe('Normal metabolizer');
  });

  test('an ultrarapid metabolizer on codeine is flagged as unusually high exposure', async () => {
    const body = (await (await post({ patient: { weightKg: 80, cyp2d6: { diplotype: '*1/*1x2' } }, regimens: [threeRegimens[0]] })).json()) as Answer;
    expect(body.regimens[0]!.exposure.level).toBe('unusually-high');
    expect(body.regimens[0]!.exposure.fractionOfNormal).toBeCloseTo(1.45, 1);
    expect(body.regimens[0]!.summary.join(' ')).toMatch(/more than usual/);
  });

  test('without a bearer token: 401 OperationOutcome', async () => {
    const res = await post({ patient: paroxetinePatient, regimens: threeRegimens }, '');
    expect(res.status).toBe(401);
    expect(((await res.json()) as Outcome).resourceType).toBe('OperationOutcome');
  });

  test.each([
    ['four regimens', { patient: paroxetinePatient, regimens: [...threeRegimens, threeRegimens[0]] }, 'regimens', /at most 3 regimens/],
    ['no regimen', { patient: paroxetinePatient, regimens: [] }, 'regimens', /at least one regimen/],
    ['missing weight', { patient: { cyp2d6: { activityScore: 1 } }, regimens: threeRegimens }, 'patient.weightKg', /required/],
    ['a negative dose', { patient: paroxetinePatient, regimens: [{ drug: 'codeine', doseMg: -30, intervalHours: 6 }] }, 'regimens.0.doseMg', /more than 0 mg/],
    ['an unknown field', { patient: paroxetinePatient, regimens: threeRegimens, dose: 3 }, '', /dose/],
    ['a drug without a model', { patient: paroxetinePatient, regimens: [threeRegimens[0], { drug: 'oxycodone', doseMg: 5, intervalHours: 6 }] }, 'regimens.1.drug', /unknown drug "oxycodone"/],
    ['a dose above the labelled range', { patient: paroxetinePatient, regimens: [{ drug: 'codeine', doseMg: 240, intervalHours: 6 }] }, 'regimens.0.doseMg', /above the 60 mg single dose/],
    ['an unreadable diplotype', { patient: { ...paroxetinePatient, cyp2d6: { diplotype: '*1/*4 and *5' } }, regimens: threeRegimens }, 'patient.cyp2d6.diplotype', /cannot be scored/],
    ['an unknown phenotype', { patient: { ...paroxetinePatient, cyp2d6: { phenotype: 'speedy' } }, regimens: threeRegimens }, 'patient.cyp2d6.phenotype', /not a CPIC CYP2D6 phenotype/],
  ])('%s: 400 OperationOutcome naming the field, no stack trace, no token', async (_name, body, field, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const text = await res.text();
    const outcome = JSON.parse(text) as Outcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    const issue = outcome.issue.find((i) => (field ? i.expression?.[0] === field : true));
    expect(issue, text).toBeDefined();
    expect(issue!.diagnostics).toMatch(message);
    expect(text).not.toMatch(/\n\s+at |app-token-for-the-what-if/);
  });

  test('a body that is not JSON: 400 OperationOutcome', async () => {
    const res = await post(undefined, 'app-token-for-the-what-if', '{"patient": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as Outcome).issue[0]!.diagnostics).toMatch(/not valid JSON/);
  });
});

describe('the app summary carries what the twin takes from the record', () => {
  test('kidney and liver function: known to be absent is said as such, with the codes looked for', async () => {
    const res = await fetch(`${demo.base}/app-api/summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await appToken('pgx-paroxetine')}` },
      body: JSON.stringify({ fhirServer: `${demo.base}/fhir`, patientId: 'pgx-paroxetine' }),
    });
    const body = (await res.json()) as { twin: { eGFR: { known: boolean; value: number | null }; liver: { known: boolean; status: string }; codes: { eGFR: string[] }; inhibitors: unknown } };
    expect(body.twin.eGFR).toMatchObject({ known: true, value: null });
    expect(body.twin.liver).toMatchObject({ known: true, status: 'none-recorded' });
    expect(body.twin.codes.eGFR).toEqual(['98979-8', '62238-1', '88293-6', '88294-4', '33914-3', '48642-3', '48643-1']);
    expect(body.twin.inhibitors).toEqual({ known: true, names: ['paroxetine'] });
  });
});
