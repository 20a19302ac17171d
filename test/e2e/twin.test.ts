import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { demoAndBrowser, launchApp, SHOTS } from '../helpers/browser.js';

/**
 * The what-if view (issue 23) in a real browser against the demo EHR: opened
 * from the CYP2D6 card's link for the poor metabolizer (the draft codeine order
 * and the morphine alternative preloaded), for the ultrarapid metabolizer, and
 * for the normal metabolizer on paroxetine (untick the inhibitor and the numbers
 * change). Curves drawn, numbers shown, the illustration label always visible.
 */
const setup = demoAndBrowser();

async function newApp(width = 1280): Promise<{ context: BrowserContext; errors: string[] }> {
  const context = await setup.browser.newContext({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  context.on('page', (p) => {
    p.on('pageerror', (e) => void errors.push(e.message));
    p.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  });
  return { context, errors };
}

async function simulate(app: Page, weight = '70') {
  await app.fill('#twin-weight', weight);
  const answered = app.waitForResponse((r) => r.url().endsWith('/app-api/twin/simulate'));
  await app.click('#twin-form button[type=submit]');
  expect((await answered).status()).toBe(200);
  await expect.poll(() => app.textContent('#twin-status'), { timeout: 10_000 }).toMatch(/Simulated \d option/);
}

/** The table's rows as cell texts (header excluded). */
const rows = (app: Page) => app.$$eval('#twin-table tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));

async function expectLabelVisible(app: Page) {
  expect(await app.isVisible('#twin-label')).toBe(true);
  expect(await app.textContent('#twin-label')).toMatch(/Illustration for discussion, not a dosing tool/);
}

test('poor metabolizer, from the CYP2D6 card: the draft codeine and morphine preloaded, curves drawn, numbers shown, label visible', async () => {
  const { context, errors } = await newApp();
  const ehr = await context.newPage();
  await ehr.goto(`${setup.demo.base}/ehr/`);
  await expect.poll(() => ehr.$$eval('#patient option', (o) => o.length)).toBeGreaterThan(5);
  await ehr.selectOption('#patient', 'pgx-poor');
  await ehr.selectOption('#drug', 'codeine');
  await ehr.click('#select-button');
  const card = ehr.locator('#cards article', { hasText: 'Avoid codeine' });
  await expect.poll(() => card.count(), { timeout: 10_000 }).toBeGreaterThan(0);
  const [app] = await Promise.all([context.waitForEvent('page'), card.locator('button:has-text("What if")').click()]);
  await app.waitForURL(/\/app\/index\.html/, { timeout: 15_000 });
  await expect.poll(() => app.textContent('#banner'), { timeout: 15_000 }).not.toContain('Loading');

  // Filled from the record and the card: activity score 0, no inhibitor, the draft (30 mg codeine phosphate every 6 h) and morphine.
  expect(await app.inputValue('#twin-score')).toBe('0');
  expect(await app.textContent('#twin-score-note')).toContain('*4/*4');
  expect(await app.inputValue('#twin-drug-0')).toBe('codeine');
  expect(await app.inputValue('#twin-dose-0')).toBe('30');
  expect(await app.inputValue('#twin-interval-0')).toBe('6');
  expect(await app.inputValue('#twin-name-0')).toBe('Draft order');
  expect(await app.inputValue('#twin-drug-1')).toBe('morphine');
  expect(await app.textContent('#twin-regimen-note')).toContain('hydromorphone has no model in the twin');
  expect(await app.textContent('#twin-egfr-note')).toContain('No eGFR result on record');
  await expectLabelVisible(app);

  // Without a weight nothing is simulated, and the app says why.
  await app.click('#twin-form button[type=submit]');
  expect(await app.textContent('#twin-status')).toContain('Enter the patient\'s weight');

  await simulate(app);
  expect(await app.$$eval('#twin-result svg.twin-curve polyline.patient-curve', (p) => p.map((x) => x.getAttribute('points')!.split(' ').length))).toEqual([241, 241]);
  expect(await app.$$eval('#twin-result svg.twin-curve rect.normal-band', (r) => r.length)).toBe(2);
  const labels = await app.$$eval('#twin-result svg.twin-curve', (s) => s.map((x) => x.getAttribute('aria-label')));
  expect(labels[0]).toMatch(/^Draft order: morphine concentration over 5 days, peaking at [\d.]+ ng\/mL; a normal metabolizer/);
  expect(await app.$$eval('#twin-result svg text.axis-title', (t) => t.map((x) => x.textContent))).toEqual(expect.arrayContaining(['Hours since the first dose', 'morphine (ng/mL)']));
  const [codeine, morphine] = await rows(app);
  expect(codeine![1]).toBe('morphine');
  expect(Number(codeine![2])).toBeGreaterThan(0);
  expect(codeine![4]).toMatch(/^[1-3]%$/);
  expect(codeine![5]).toBe('18');
  expect(codeine![6]).toMatch(/Poor metabolizer: Avoid/);
  expect(morphine![4]).toBe('not changed by CYP2D6');
  expect(morphine![5]).toBe('90');
  expect(await app.textContent('#twin-result')).toMatch(/predicted to give little morphine/);
  expect(await app.textContent('.twin-summary')).toMatch(/your body is expected to make about \d% of the morphine most people make/);
  expect(await app.textContent('#twin-result')).toMatch(/does not account for reduced kidney function/);
  expect(await app.textContent('#twin-result')).toMatch(/None of the cited sources .* gives an analgesic or a toxic plasma morphine range/);
  expect(await app.isVisible('#twin-answer-label')).toBe(true);
  await expectLabelVisible(app);
  await app.locator('#twin').screenshot({ path: path.join(SHOTS, 'twin-poor-metabolizer.png') });
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

test('ultrarapid metabolizer: one curve per model, codeine flagged as unusually high, label visible on a phone', async () => {
  const { context, errors } = await newApp(390);
  const app = await context.newPage();
  await launchApp(app, setup.demo.base, 'pgx-ultrarapid', 'view=twin');
  expect(await app.inputValue('#twin-score')).toBe('3');
  await simulate(app, '82');
  expect(await app.$$eval('#twin-result svg.twin-curve', (s) => s.length)).toBe(3);
  const [codeine, tramadol, morphine] = await rows(app);
  expect(codeine![4]).toBe('145%');
  expect(Number(tramadol![4]!.replace('%', ''))).toBeGreaterThan(125);
  expect(morphine![4]).toBe('not changed by CYP2D6');
  expect(codeine![6]).toMatch(/Ultrarapid metabolizer: Avoid/);
  expect(await app.textContent('#twin-result')).toMatch(/unusually high morphine exposure/);
  await app.locator('#twin-label').scrollIntoViewIfNeeded();
  await expectLabelVisible(app);
  await app.screenshot({ path: path.join(SHOTS, 'twin-ultrarapid-phone.png'), fullPage: true });
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

test('normal metabolizer on paroxetine: untick the inhibitor and the numbers change', async () => {
  const { context, errors } = await newApp();
  const app = await context.newPage();
  await launchApp(app, setup.demo.base, 'pgx-paroxetine', 'view=twin&drug=codeine&doseMg=30&intervalHours=6&alternatives=morphine');
  expect(await app.isChecked('#twin-inhibitors input.twin-inhibitor[value="paroxetine"]')).toBe(true);
  await simulate(app);
  const before = await rows(app);
  expect(await app.textContent('#twin-effective')).toMatch(/activity score used: 0 \(Poor metabolizer\) after paroxetine, strong inhibitor/);
  expect(before[0]![4]).toMatch(/^[1-3]%$/);

  await app.uncheck('#twin-inhibitors input.twin-inhibitor[value="paroxetine"]');
  await simulate(app);
  const after = await rows(app);
  expect(await app.textContent('#twin-effective')).toMatch(/activity score used: 2 \(Normal metabolizer\)\./);
  expect(after[0]![4]).toBe('100%');
  expect(Number(after[0]![2])).toBeGreaterThan(20 * Number(before[0]![2]));
  // Morphine does not depend on CYP2D6: the same numbers either way.
  expect(after[1]![2]).toBe(before[1]![2]);
  await expectLabelVisible(app);

  // An impossible dose is refused with the service's words, not a crash.
  await app.fill('#twin-dose-0', '600');
  await app.click('#twin-form button[type=submit]');
  await expect.poll(() => app.textContent('#twin-status'), { timeout: 10_000 }).toMatch(/Not simulated: regimens\.0\.doseMg: 600 mg is above the 60 mg single dose/);
  const unlabelled = await app.$$eval('#twin input, #twin select', (els) => els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id || e.outerHTML));
  expect(unlabelled).toEqual([]);
  expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  await context.close();
}, 120_000);

test('a phenotype-only result is simulated from that phenotype, never as a normal metabolizer', async () => {
  // Lea has no CYP2D6 result; the lab now reports a phenotype only ("Poor metabolizer"), with no genotype or score.
  const token = await setup.demo.service.demo!.smart.issueAccessToken({ patient: 'no-genotype', practitioner: 'Practitioner/prac-1', scope: 'launch openid fhirUser patient/*.read patient/*.write', clientId: 'pain-app' });
  const observation = {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '79714-9', display: 'CYP2D6 gene product metabolic activity interpretation' }], text: 'CYP2D6 phenotype' },
    subject: { reference: 'Patient/no-genotype' },
    effectiveDateTime: '2026-01-10',
    valueCodeableConcept: { text: 'Poor metabolizer' },
  };
  const saved = await fetch(`${setup.demo.base}/fhir/Observation`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` }, body: JSON.stringify(observation) });
  expect(saved.status).toBe(201);
  const { context, errors } = await newApp();
  const app = await context.newPage();
  await launchApp(app, setup.demo.base, 'no-genotype', 'view=twin');
  expect(await app.inputValue('#twin-score')).toBe('');
  expect(await app.textContent('#twin-score-note')).toContain('a phenotype-only result, Poor metabolizer');
  // 45 kg: below the studied weights, which the run says.
  await simulate(app, '45');
  const [codeine] = await rows(app);
  expect(Number(codeine![4]!.replace('%', ''))).toBeLessThan(10);
  expect(codeine![6]).toMatch(/Poor metabolizer: Avoid/);
  expect(await app.textContent('#twin-result')).toMatch(/Weight 45 kg is outside the usual range of the source studies' adults/);
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);
