import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { demoAndBrowser, launchApp, SHOTS } from '../helpers/browser.js';

/**
 * The whole-person story in a real browser (issue 20): Ray Rising's mixing
 * board, a PEG and a PHQ-9 filled in the SMART app at phone width (written to
 * the EHR as QuestionnaireResponse + score Observations), the dials change,
 * and the next hook call in the demo EHR changes with them.
 */
const setup = demoAndBrowser();

async function orderCards(page: Page, patient: string): Promise<string[]> {
  await page.goto(`${setup.demo.base}/ehr/`);
  await expect.poll(() => page.$$eval('#patient option', (o) => o.length)).toBeGreaterThan(5);
  await page.selectOption('#patient', patient);
  await page.selectOption('#drug', 'oxycodone');
  await page.click('#select-button');
  await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toMatch(/card\(s\)|answered/);
  return page.$$eval('#cards article h3', (hs) => hs.map((h) => h.textContent ?? ''));
}

const dialText = (page: Page, dimension: string) => page.locator(`.dial[data-dimension="${dimension}"]`).textContent();

async function fill(page: Page, title: string, answers: string[]) {
  await page.selectOption('#instrument', { label: title });
  const sets = page.locator('#questionnaire fieldset');
  await expect.poll(() => sets.count()).toBe(answers.length);
  for (let i = 0; i < answers.length; i++) await sets.nth(i).locator('label.choice', { hasText: new RegExp(`^\\s*${answers[i]}$`) }).click();
  await page.click('#questionnaire button[type=submit]');
  await expect.poll(() => page.textContent('#q-result'), { timeout: 10_000 }).toMatch(/^Saved/);
}

test('fill a PEG and a PHQ-9 on a phone: the dials and the next hook call change', async () => {
  const ehr = await setup.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const before = await orderCards(ehr, 'pro-depression');
  expect(before).toEqual(expect.arrayContaining([expect.stringMatching(/^Mental-health or overdose risk/), expect.stringMatching(/^Benefit not shown: PEG not 30% better/)]));
  expect(before.join('|')).not.toMatch(/self-harm/);

  const context = await setup.browser.newContext({ viewport: { width: 390, height: 844 } });
  const errors: string[] = [];
  const app = await context.newPage();
  app.on('pageerror', (e) => void errors.push(e.message));
  app.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  await launchApp(app, setup.demo.base, 'pro-depression', 'view=pro');

  // The board: latest values with bands and dates, a clinically important change, never-measured dimensions say so.
  expect(await dialText(app, 'Mood')).toMatch(/PHQ-9 17 \(moderately severe\), \d{4}-\d\d-\d\d.*worse by 11 since .*clinically important/);
  expect(await dialText(app, 'Sleep')).toContain('never measured');
  expect(await dialText(app, 'Social support')).toContain('not measured: no instrument configured');
  expect(await app.textContent('#nondrug')).toContain('Cognitive behavioural therapy');
  await app.screenshot({ path: path.join(SHOTS, 'whole-person-board-before-phone.png'), fullPage: true });

  // A question left unanswered is asked for, not scored as 0.
  await app.selectOption('#instrument', { label: 'Pain, Enjoyment of life and General activity (PEG)' });
  await app.click('#questionnaire button[type=submit]');
  await expect.poll(() => app.textContent('#q-result')).toBe('Please answer questions 1, 2, 3.');

  await fill(app, 'Pain, Enjoyment of life and General activity (PEG)', ['3', '3', '3']);
  expect(await app.textContent('#q-result')).toContain('3 (mild)');
  await expect.poll(() => dialText(app, 'Interference with enjoyment and activity')).toMatch(/PEG-3 3\.0 \(mild\)/);

  await fill(app, 'Patient Health Questionnaire 9 item (PHQ-9)', ['Not at all', 'Not at all', 'Not at all', 'Not at all', 'Not at all', 'Not at all', 'Not at all', 'Not at all', 'Several days']);
  await expect.poll(() => dialText(app, 'Mood')).toMatch(/PHQ-9 1 \(minimal\)/);
  expect(await app.textContent('#self-harm')).toContain('Several days');
  await app.screenshot({ path: path.join(SHOTS, 'whole-person-board-after-phone.png'), fullPage: true });
  const wide = await app.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  expect(wide).toBe(false);
  expect(errors).toEqual([]);

  // The next hook call reads what the app wrote: the urgent self-harm card appears, the PEG benefit card is gone.
  const after = await orderCards(ehr, 'pro-depression');
  expect(after).toEqual(expect.arrayContaining([expect.stringMatching(/^Thoughts of self-harm reported on PHQ-9 item 9/)]));
  expect(after.join('|')).not.toMatch(/Benefit not shown/);
  await ehr.screenshot({ path: path.join(SHOTS, 'whole-person-order-after.png'), fullPage: true });
  await context.close();
  await ehr.close();
}, 120_000);

test('lab results that could not be read are never shown as none: no "never measured" dials, no "no CYP2D6 result"', async () => {
  const context = await setup.browser.newContext({ viewport: { width: 390, height: 844 } });
  const app = await context.newPage();
  // The service's answer when the Observation read failed (and the medication list too).
  await app.route('**/app-api/summary', async (route) => {
    const res = await route.fetch();
    const summary = (await res.json()) as { unavailable: string[]; cyp2d6: Record<string, unknown>; pro: Record<string, unknown> };
    summary.unavailable = ['observations', 'medicationRequests'];
    summary.cyp2d6 = { ...summary.cyp2d6, 'cyp2d6.hasResult': false };
    await route.fulfill({ response: res, json: summary });
  });
  await launchApp(app, setup.demo.base, 'pro-depression', 'view=pro');
  const pro = await app.textContent('#pro-body');
  expect(pro).toContain('could not be read');
  expect(pro).toContain('does not mean they were never measured');
  expect(await app.$$('#board .dial')).toHaveLength(0);
  const pgx = await app.textContent('#pgx-body');
  expect(pgx).toContain('whether a CYP2D6 result exists is unknown');
  expect(pgx).not.toContain('No CYP2D6 result on file');
  await context.close();
}, 60_000);
