import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { demoAndBrowser, launchApp, SHOTS } from '../helpers/browser.js';

/**
 * Personal goals in a real browser (issue 21): for the patient stable on
 * 80 MME/day, set a Goal Attainment Scaling goal with its five levels, rest a
 * dose justification on it, score it twice, and see the T-score and the dose
 * exception's quiet card in the demo EHR change with the scores.
 */
const setup = demoAndBrowser();

/** Orders oxycodone in the demo EHR and returns the text of the dose exception's quiet card ('' when none). */
async function quietCard(page: Page): Promise<string> {
  await page.goto(`${setup.demo.base}/ehr/`);
  await expect.poll(() => page.$$eval('#patient option', (o) => o.length)).toBeGreaterThan(5);
  await page.selectOption('#patient', 'mme-stable-80');
  await page.selectOption('#drug', 'oxycodone');
  await page.click('#select-button');
  await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toMatch(/card\(s\)|answered/);
  const card = page.locator('#cards article', { hasText: 'justified exception on file' });
  return (await card.count()) ? ((await card.first().textContent()) ?? '') : '';
}

async function score(app: Page, level: string, expected: RegExp) {
  await app.selectOption('#rater', 'practitioner');
  await app.check(`#score-levels input[value="${level}"]`);
  await app.click('#goal-score button[type=submit]');
  await expect.poll(() => app.textContent('#gas-t'), { timeout: 10_000 }).toMatch(expected);
}

test('create a goal with five levels, score it twice: the T-score and the quiet card change', async () => {
  const ehr = await setup.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const context = await setup.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const app = await context.newPage();
  app.on('pageerror', (e) => void errors.push(e.message));
  app.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  // As from the dose card shown for a draft that brings the total to 140 MME/day.
  await launchApp(app, setup.demo.base, 'mme-stable-80', 'view=goals&mme=140');
  expect(await app.textContent('#goals-body')).toContain('No Goal Attainment Scaling goal yet');

  // The guided editor: a template, then the patient's own words for what matters and the expected outcome.
  await app.selectOption('#template', 'walking');
  expect(await app.inputValue('#level2')).toBe('Walks the dog for 30 minutes most days');
  await app.fill('#what', 'Walk the dog with my grandson');
  await app.fill('#level0', 'Walk the dog 15 minutes, 3 days a week');
  await app.fill('#due', '2027-01-31');
  await app.selectOption('#baseline', '-2');
  const goalPost = app.waitForRequest((r) => r.url().endsWith('/fhir/Goal') && r.method() === 'POST');
  await app.click('#goal-editor button[type=submit]');
  await expect.poll(() => app.textContent('#goal-result'), { timeout: 10_000 }).toContain('Goal saved');
  const goal = (await goalPost).postDataJSON() as { extension: { url: string; extension: { url: string; valueCoding?: { code: string }; valueString?: string }[] }[]; target: { measure: { coding: { code: string }[] } }[] };
  expect(goal.extension).toHaveLength(5);
  expect(goal.extension.every((e) => e.url === 'http://hl7.org/fhir/us/pco/StructureDefinition/pco-goal-attainment-scaling')).toBe(true);
  expect(goal.extension.map((e) => e.extension.find((x) => x.url === 'level')?.valueCoding?.code)).toEqual(['LA34479-8', 'LA34480-6', 'LA34481-4', 'LA34483-0', 'LA34484-8']);
  expect(goal.extension[2]!.extension.find((x) => x.url === 'text')?.valueString).toBe('Walk the dog 15 minutes, 3 days a week');
  expect(goal.target[0]!.measure.coding[0]!.code).toBe('107332-9');
  await expect.poll(() => app.textContent('#goal-table')).toContain('Walk the dog with my grandson');
  // A baseline alone gives no T-score.
  expect(await app.textContent('#gas-t')).toContain('baseline only');

  // The dose justification rests on the goal.
  await app.selectOption('#topic', 'mme');
  await app.selectOption('#reason', 'stable-long-term');
  await app.fill('#rationale', 'Stable for years; walking goal agreed.');
  await app.check('#justify-goals input.justify-goal');
  await app.fill('#review', new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10));
  const issuePost = app.waitForRequest((r) => r.url().endsWith('/fhir/DetectedIssue') && r.method() === 'POST');
  await app.click('#justification button[type=submit]');
  await expect.poll(() => app.textContent('#result'), { timeout: 10_000 }).toContain('Justification saved');
  const issue = (await issuePost).postDataJSON() as { evidence: { detail: { reference: string }[] }[] };
  expect(issue.evidence[0]!.detail[0]!.reference).toMatch(/^Goal\//);

  // First follow-up: as expected, T = 50; the quiet card shows it.
  await score(app, '0', /T-score 50\.0 by the clinician \(1 of 1 goal scored/);
  const first = await quietCard(ehr);
  expect(first).toContain('functional goals it rests on: Walk the dog with my grandson');
  expect(first).toContain('T-score 50.0 by the clinician');
  expect(first).not.toContain('below 50');

  // Second follow-up: less than expected, T = 40; the quiet card tells the prescriber the benefit side changed.
  await score(app, '-1', /T-score 40\.0 by the clinician/);
  expect(await app.textContent('#goal-table')).toContain('Less than expected (-1)');
  await app.screenshot({ path: path.join(SHOTS, 'goals-app.png'), fullPage: true });
  const second = await quietCard(ehr);
  expect(second).toContain('T-score is 40.0, below 50 since the justification');
  expect(second).toContain('benefit side of the balance has changed');
  await ehr.screenshot({ path: path.join(SHOTS, 'goals-quiet-card.png'), fullPage: true });

  // Deciding together: the patient's stated priority is written on the goal and shown again once the app has re-read it.
  const sdmSelect = '#sdm select[data-goal]';
  expect(await app.inputValue(sdmSelect)).toBe('');
  await app.selectOption(sdmSelect, 'high-priority');
  const goalPut = app.waitForRequest((r) => /\/fhir\/Goal\/[^/]+$/.test(r.url()) && r.method() === 'PUT');
  await app.click('#save-priorities');
  const updated = (await goalPut).postDataJSON() as { priority: { coding: { system: string; code: string }[] }; extension: unknown[] };
  expect(updated.priority.coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/goal-priority', code: 'high-priority' });
  expect(updated.extension).toHaveLength(5);
  await expect.poll(() => app.textContent('#sdm-result'), { timeout: 10_000 }).toContain("priorities are recorded");
  await expect.poll(() => app.inputValue(sdmSelect), { timeout: 10_000 }).toBe('high-priority');

  // Every control of the new views is labelled.
  const unlabelled = await app.$$eval('#personal-goals input, #personal-goals select, #sdm select, #justify-goals input', (els) => els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id || e.outerHTML));
  expect(unlabelled).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

test('goals that could not be read are never shown as no goals', async () => {
  const context = await setup.browser.newContext({ viewport: { width: 390, height: 844 } });
  const app = await context.newPage();
  // The service's answer when the Goal read failed: goals.known false and nothing listed.
  await app.route('**/app-api/summary', async (route) => {
    const res = await route.fetch();
    const summary = (await res.json()) as { goals: Record<string, unknown> };
    summary.goals = { ...summary.goals, 'goals.known': false, goals: [] };
    await route.fulfill({ response: res, json: summary });
  });
  await launchApp(app, setup.demo.base, 'mme-stable-80', 'view=goals');
  const text = await app.textContent('#goals-body');
  expect(text).toContain('could not be read');
  expect(text).not.toContain('No Goal Attainment Scaling goal yet');
  expect(await app.textContent('#justify-goals')).toContain('could not be read');
  await context.close();
}, 60_000);
