import path from 'node:path';
import { expect, test } from 'vitest';
import { analyzeTrial } from '../../src/clinical/nof1/analyze.js';
import { demoAndBrowser, launchApp, SHOTS } from '../helpers/browser.js';
import { isoDay, NOF1_ANALYSIS_DEFAULTS } from '../unit/nof1/helpers.js';

/**
 * An N-of-1 trial in a real browser (issue 22), for the demo patient who is a
 * CYP2D6 poor metabolizer: tramadol is refused as an arm with the reason;
 * paracetamol against oxycodone is planned (MME per arm shown), randomised
 * and saved to the EHR; two weeks of daily scores are entered with one tap
 * per value; the CENT report shows the estimate, its interval and the
 * probabilities the service computes, the washout days left out, and the
 * plot of the daily series by arm; the report prints alone; and ordering
 * oxycodone in the demo EHR shows the trial card.
 */
const setup = demoAndBrowser();

const two = (x: number) => (Math.round(x * 100) / 100).toFixed(2);

test('plan a trial, enter two weeks of scores, read the report with its numbers and plot', { timeout: 180_000 }, async () => {
  const context = await setup.browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
  const app = await context.newPage();
  const errors: string[] = [];
  app.on('pageerror', (e) => void errors.push(e.message));
  // The refused plan is a 400 from the service by design (the browser logs it, and so does the app).
  app.on('console', (m) => void (m.type() === 'error' && !/failed: .*refused as an arm|status of 400/.test(m.text()) && errors.push(m.text())));
  await launchApp(app, setup.demo.base, 'pgx-poor', 'view=nof1');
  await expect.poll(() => app.textContent('#nof1-current'), { timeout: 10_000 }).toContain('No N-of-1 trial on record');
  expect(await app.textContent('#nof1')).toContain('not a promise of relief');
  expect(await app.textContent('#pairs-why')).toContain('Why more pairs are better');

  const start = isoDay(new Date().toISOString().slice(0, 10), -13);
  await app.fill('#a-drug', 'Tramadol Hydrochloride 50 MG Oral Tablet');
  await app.fill('#a-times', '4');
  await app.fill('#b-drug', 'Oxycodone Hydrochloride 5 MG Oral Tablet');
  await app.fill('#b-times', '4');
  await app.fill('#nof1-start', start);
  await app.fill('#pairs', '2');
  await app.fill('#period-days', '7');
  await app.fill('#washout', '2');
  await app.fill('#seed', '7');
  await app.click('#nof1-plan button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 10_000 }).toMatch(/tramadol is refused as an arm: CYP2D6: poor metabolizer.*CPIC: Avoid/);
  expect(await app.isVisible('#nof1-save')).toBe(false);

  // A non-opioid against oxycodone: allowed, each arm's MME shown.
  await app.fill('#a-drug', 'Acetaminophen 500 MG Oral Tablet');
  await app.fill('#a-amount', '2');
  await app.click('#nof1-plan button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 10_000 }).toContain('passed the checks');
  const arms = (await app.textContent('#nof1-arm-table')) ?? '';
  expect(arms).toContain('not an opioid: 0 MME/day');
  expect(arms).toContain('30 MME/day');
  expect(await app.textContent('#nof1-order')).toContain('seed 7');
  const schedule = await app.$$eval('#nof1-schedule tr', (rows) => rows.slice(1).map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent ?? '')));
  expect(schedule).toHaveLength(4);
  await app.screenshot({ path: path.join(SHOTS, 'nof1-plan.png'), fullPage: true });
  await app.click('#nof1-save');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 15_000 }).toMatch(/Trial saved \(CarePlan\/[^)]+\) with 4 period order/);
  await expect.poll(() => app.isVisible('#nof1-daily'), { timeout: 10_000 }).toBe(true);

  // Two weeks of scores, one tap per value: lower pain on oxycodone (B), more drowsiness.
  const periods = schedule.map(([n, arm, dates]) => ({ n, arm: arm!, start: dates!.slice(0, 10), end: dates!.slice(-10) }));
  const armOn = (day: string) => periods.find((p) => p.start <= day && day <= p.end)!.arm;
  const observations: { date: string; value: number }[] = [];
  for (let i = 0; i < 14; i++) {
    const day = isoDay(start, i);
    const pain = (armOn(day) === 'A' ? 6 : 3) + (i % 3 === 0 ? 1 : 0);
    observations.push({ date: day, value: pain });
    await app.fill('#nof1-day', day);
    await app.click(`#nof1-pain label:has(input[value="${pain}"])`);
    await app.click(`#nof1-drowsiness label:has(input[value="${armOn(day) === 'B' ? 4 : 1}"])`);
    await app.click('#nof1-took label:has(input[value="yes"])');
    await app.click('#nof1-daily button[type=submit]');
    await expect.poll(() => app.textContent('#nof1-daily-result'), { timeout: 10_000 }).toBe(`Saved for ${day}.`);
  }

  // The report: the same numbers as the analysis of the same days.
  const expected = analyzeTrial({ treatments: { A: 'a', B: 'b' }, outcome: { name: 'pain', lowerIsBetter: true, mcid: 1 }, washoutDays: 2, periods: periods.map((p) => ({ treatment: p.arm, start: p.start, end: p.end })), observations }, NOF1_ANALYSIS_DEFAULTS);
  if (!expected.ok) throw new Error(JSON.stringify(expected.problems));
  const e = expected.value;
  await expect.poll(() => app.textContent('#nof1-estimate'), { timeout: 10_000 }).toContain(`${two(e.meanDifference)} points (lower is better)`);
  const estimate = (await app.textContent('#nof1-estimate')) ?? '';
  expect(estimate).toContain(`${two(e.credibleInterval95[0])} to ${two(e.credibleInterval95[1])}`);
  expect(estimate).toContain('Probability that B is better');
  expect(estimate).toMatch(/better by at least 1 \(MCID\)/);
  expect(await app.textContent('#nof1-excluded')).toContain(`Left out (${e.observationsExcluded.length})`);
  expect(e.observationsExcluded.length).toBe(2);
  expect(await app.textContent('#nof1-randomisation')).toContain('Seed 7');
  expect(await app.textContent('#nof1-adherence')).toContain('Missing days: 0. Adherence: 100% (14 of 14 days answered)');
  expect(await app.textContent('#nof1-checks')).toContain('Adjusted for a time trend');
  expect(await app.textContent('#nof1-side-effects')).toMatch(/Drowsiness.*1\s*4|Drowsiness/);
  expect(await app.textContent('#nof1-sae')).toBe('No serious adverse event recorded.');

  // The plot: one dot per day, coloured by arm, washout days hollow, a legend and a description for screen readers.
  expect(await app.$$eval('#nof1-plot circle', (c) => c.length)).toBe(14);
  expect(await app.$$eval('#nof1-plot circle.excluded', (c) => c.length)).toBe(2);
  expect(await app.$$eval('#nof1-plot circle.arm-A', (c) => c.length)).toBe(7);
  expect(await app.getAttribute('#nof1-plot', 'aria-label')).toMatch(/14 scores, 7 on A \(blue\) and 7 on B \(orange\), 2 left out/);
  expect(await app.textContent('#nof1-legend')).toContain('B: Oxycodone Hydrochloride 5 MG Oral Tablet');
  await app.locator('#nof1-report').screenshot({ path: path.join(SHOTS, 'nof1-report.png') });

  // Printable: the report alone.
  await app.emulateMedia({ media: 'print' });
  expect(await app.isVisible('#nof1-plan')).toBe(false);
  expect(await app.isVisible('#pgx')).toBe(false);
  expect(await app.isVisible('#nof1-plot')).toBe(true);
  await app.emulateMedia({ media: 'screen' });
  expect(errors).toEqual([]);

  // While the trial runs, ordering one of its drugs in the demo EHR shows the trial card.
  const ehr = await setup.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await ehr.goto(`${setup.demo.base}/ehr/`);
  await expect.poll(() => ehr.$$eval('#patient option', (o) => o.length)).toBeGreaterThan(5);
  await ehr.selectOption('#patient', 'pgx-poor');
  await ehr.selectOption('#drug', 'oxycodone');
  await ehr.click('#select-button');
  await expect.poll(() => ehr.textContent('#cards'), { timeout: 10_000 }).toContain('part of a running N-of-1 trial');
  expect(await ehr.textContent('#cards')).toContain('Schedule: period 1');
  await ehr.close();

  // A serious adverse event ends the arm and the trial, and the report lists it.
  const last = isoDay(start, 13);
  await app.fill('#nof1-day', last);
  await app.click('#nof1-pain label:has(input[value="5"])');
  await app.check('#sae');
  await app.fill('#sae-text', 'Fainted after the morning dose');
  await app.click('#nof1-daily button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-daily-result'), { timeout: 10_000 }).toContain('ends this treatment and the trial');
  await expect.poll(() => app.textContent('#nof1-sae'), { timeout: 10_000 }).toBe(`Serious adverse events: ${last}: Fainted after the morning dose.`);
  expect(await app.textContent('#nof1-stop')).toContain(`Stopped early on ${last}: Adverse event (serious adverse event): Fainted after the morning dose.`);
  expect(await app.textContent('#nof1-status')).toContain('stopped early');
  expect(await app.isVisible('#nof1-daily')).toBe(false);
  // The trial's period orders end with it: the dose total no longer counts them.
  const token = await setup.demo.service.demo!.smart.issueAccessToken({ patient: 'pgx-poor', practitioner: 'Practitioner/prac-1', scope: 'launch openid fhirUser patient/*.read', clientId: 'pain-app' });
  const bundle = (await (await fetch(`${setup.demo.base}/fhir/MedicationRequest?patient=pgx-poor&_count=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as { entry?: { resource: { status: string; note?: { text: string }[] } }[] };
  const trialOrders = (bundle.entry ?? []).map((e) => e.resource).filter((r) => r.note?.some((n) => n.text.startsWith('N-of-1 trial period')));
  expect(trialOrders.map((r) => r.status).sort()).toEqual(['cancelled', 'cancelled', 'completed', 'stopped']);
  expect(errors).toEqual([]);
  await context.close();
});

test('a PEG trial: the daily entry asks the three PEG questions and records their mean', { timeout: 120_000 }, async () => {
  const context = await setup.browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
  const app = await context.newPage();
  const errors: string[] = [];
  app.on('pageerror', (e) => void errors.push(e.message));
  await launchApp(app, setup.demo.base, 'no-genotype', 'view=nof1');
  await expect.poll(() => app.textContent('#nof1-current'), { timeout: 10_000 }).toContain('No N-of-1 trial on record');
  await app.selectOption('#a-kind', 'non-drug');
  await app.fill('#a-label', 'Morning stretching');
  await app.selectOption('#b-kind', 'non-drug');
  await app.fill('#b-label', 'Evening walk');
  await app.selectOption('#nof1-primary', 'peg');
  await app.fill('#pairs', '2');
  await app.click('#nof1-plan button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 10_000 }).toContain('passed the checks');
  expect(await app.textContent('#nof1-arm-table')).toContain('no drug: 0 MME/day');
  await app.click('#nof1-save');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 15_000 }).toMatch(/Trial saved \(CarePlan\/[^)]+\) with 0 period order/);
  await expect.poll(() => app.isVisible('#nof1-daily'), { timeout: 10_000 }).toBe(true);
  expect(await app.textContent('#nof1-scales')).toContain('interfered with enjoying life today');
  await app.click('#nof1-peg-0 label:has(input[value="6"])');
  await app.click('#nof1-daily button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-daily-result')).toBe('Tap all three PEG questions, or none.');
  await app.click('#nof1-peg-1 label:has(input[value="4"])');
  await app.click('#nof1-peg-2 label:has(input[value="5"])');
  await app.click('#nof1-daily button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-daily-result'), { timeout: 10_000 }).toMatch(/^Saved for /);
  await expect.poll(() => app.$$eval('#nof1-plot circle title', (t) => t.map((x) => x.textContent)), { timeout: 10_000 }).toEqual([expect.stringMatching(/: 5 \(treatment [AB]/)]);
  expect(await app.textContent('#nof1-design')).toContain('Mean score [PEG]');
  expect(await app.textContent('#nof1-estimate')).toContain('No estimate yet');
  expect(errors).toEqual([]);
  await context.close();
});

test('a trial whose last period is over is closed as completed, with its orders', { timeout: 120_000 }, async () => {
  const context = await setup.browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
  const app = await context.newPage();
  await launchApp(app, setup.demo.base, 'pgx-ultrarapid', 'view=nof1');
  await expect.poll(() => app.textContent('#nof1-current'), { timeout: 10_000 }).toContain('No N-of-1 trial on record');
  await app.selectOption('#a-kind', 'non-drug');
  await app.fill('#a-label', 'Heat pack');
  await app.fill('#b-drug', 'Oxycodone Hydrochloride 5 MG Oral Tablet');
  await app.fill('#nof1-start', isoDay(new Date().toISOString().slice(0, 10), -21));
  await app.fill('#pairs', '2');
  await app.fill('#period-days', '5');
  await app.fill('#washout', '1');
  await app.click('#nof1-plan button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 10_000 }).toContain('passed the checks');
  await app.click('#nof1-save');
  await expect.poll(() => app.isVisible('#nof1-complete'), { timeout: 15_000 }).toBe(true);
  await app.click('#nof1-complete');
  await expect.poll(() => app.textContent('#nof1-daily-result'), { timeout: 10_000 }).toBe('The trial is closed as completed.');
  expect(await app.textContent('#nof1-status')).toContain('completed as planned');
  expect(await app.isVisible('#nof1-daily')).toBe(false);
  const token = await setup.demo.service.demo!.smart.issueAccessToken({ patient: 'pgx-ultrarapid', practitioner: 'Practitioner/prac-1', scope: 'launch openid fhirUser patient/*.read', clientId: 'pain-app' });
  const bundle = (await (await fetch(`${setup.demo.base}/fhir/MedicationRequest?patient=pgx-ultrarapid&_count=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as { entry?: { resource: { status: string; note?: { text: string }[] } }[] };
  const trialOrders = (bundle.entry ?? []).map((e) => e.resource).filter((r) => r.note?.some((n) => n.text.startsWith('N-of-1 trial period')));
  expect(trialOrders.map((r) => r.status)).toEqual(['completed', 'completed']);
  await context.close();
});

test('the planner shows each drug arm as the pharmacokinetic twin simulates it for this patient, once the weight is entered', { timeout: 90_000 }, async () => {
  const app = await (await setup.browser.newContext()).newPage();
  const errors: string[] = [];
  app.on('pageerror', (e) => void errors.push(e.message));
  // Paul (CYP2D6 *1/*1, on alprazolam: no CYP2D6 inhibitor).
  await launchApp(app, setup.demo.base, 'benzo', 'view=nof1');
  await expect.poll(() => app.textContent('#nof1-current'), { timeout: 10_000 }).toContain('No N-of-1 trial on record');
  await app.fill('#a-drug', 'Tramadol Hydrochloride 50 MG Oral Tablet');
  await app.fill('#a-times', '4');
  await app.selectOption('#b-kind', 'non-drug');
  await app.fill('#b-label', 'Daily walk');
  await app.fill('#pairs', '2');
  await app.click('#nof1-plan button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 10_000 }).toContain('passed the checks');
  expect(await app.textContent('#nof1-exposure-table')).toContain("Not simulated: enter the patient's weight");
  await app.fill('#nof1-weight', '70');
  await app.click('#nof1-plan button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-exposure-table'), { timeout: 10_000 }).toMatch(/Simulated O-desmethyltramadol exposure at steady state: AUC over 24 h [\d.]+ ng·h\/mL/);
  expect(await app.textContent('#nof1-exposure-table')).not.toContain('no CYP2D6 result');
  expect(await app.textContent('#nof1-arms')).toContain('illustration for discussion, not a dosing tool');
  await app.screenshot({ path: path.join(SHOTS, 'nof1-plan-exposure.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('a blinded trial: while it runs, the app shows no report that would say which treatment each period had', { timeout: 90_000 }, async () => {
  const app = await (await setup.browser.newContext()).newPage();
  const errors: string[] = [];
  app.on('pageerror', (e) => void errors.push(e.message));
  await launchApp(app, setup.demo.base, 'cancer-pain', 'view=nof1');
  await expect.poll(() => app.textContent('#nof1-current'), { timeout: 10_000 }).toContain('No N-of-1 trial on record');
  await app.selectOption('#a-kind', 'non-drug');
  await app.fill('#a-label', 'Heat pack');
  await app.selectOption('#b-kind', 'non-drug');
  await app.fill('#b-label', 'Cold pack');
  await app.fill('#nof1-start', isoDay(new Date().toISOString().slice(0, 10), -3));
  await app.fill('#pairs', '2');
  await app.check('#blinded');
  await app.click('#nof1-plan button[type=submit]');
  await expect.poll(() => app.textContent('#nof1-plan-result'), { timeout: 10_000 }).toContain('passed the checks');
  await app.click('#nof1-save');
  await expect.poll(() => app.isVisible('#nof1-daily'), { timeout: 15_000 }).toBe(true);
  expect(await app.textContent('#nof1-trial-line')).toContain('blinded: the pharmacy holds the schedule');
  expect(await app.textContent('#nof1-report')).toContain('Blinded trial: the report');
  expect(await app.textContent('#nof1-report')).not.toMatch(/Heat pack|Cold pack/);
  expect(errors).toEqual([]);
});
