import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { DEMO_PATIENTS } from '../../src/sandbox/seed.js';
import { demoAndBrowser, launchApp, SHOTS } from '../helpers/browser.js';
import { REPO_ROOT, startDemoService } from '../helpers/service.js';

/**
 * The whole story in a real browser (Debian chromium via playwright-core):
 * the demo EHR orders codeine for a poor metabolizer and takes the safer
 * alternative; overrides a high-dose alert with a reason and sees it quiet
 * next time; launches the SMART app from a card, documents a justification,
 * and the next hook call honours it. Screenshots go to test-artifacts/.
 */
const setup = demoAndBrowser();

async function order(page: Page, patient: string, drug: string) {
  await page.selectOption('#patient', patient);
  await page.selectOption('#drug', drug);
  await page.click('#select-button');
  await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toMatch(/card\(s\)|answered/);
}

const cardTitles = (page: Page) => page.$$eval('#cards article h3', (hs) => hs.map((h) => h.textContent ?? ''));

test('the whole workflow in a browser', async () => {
  const context = await setup.browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const outside: string[] = [];
  context.on('request', (r) => {
    if (!r.url().startsWith(setup.demo.base) && r.url() !== 'about:blank') outside.push(r.url());
  });
  const consoleErrors: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
    p.on('pageerror', (e) => void consoleErrors.push(e.message));
  };
  watch(page);
  context.on('page', watch);
  await page.goto(`${setup.demo.base}/ehr/`);
  await expect.poll(() => page.$$eval('#patient option', (o) => o.length)).toBeGreaterThan(5);

  // 1. Codeine for the poor metabolizer: PGx card, accept the safer alternative.
  await order(page, 'pgx-poor', 'codeine');
  expect(await cardTitles(page)).toContain('Avoid codeine for this CYP2D6 poor metabolizer: use a non-opioid, morphine or hydromorphone');
  await page.screenshot({ path: path.join(SHOTS, 'order-screen-pgx-card.png'), fullPage: true });
  await page.click('#cards article button:has-text("★")');
  await expect.poll(() => page.textContent('#draft')).toContain('Acetaminophen 500 MG');
  // The form follows the new draft: acetaminophen is selected and the order has a usable default sig.
  expect(await page.$eval('#drug', (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent)).toBe('Acetaminophen 500 MG Oral Tablet');
  expect(await page.textContent('#draft')).toContain('1 tablet every 6 hours as needed');

  // 2. Oxycodone for the patient stable at 80 MME/day: override with "stable long-term therapy", then quiet.
  await order(page, 'mme-stable-80', 'oxycodone');
  expect((await cardTitles(page)).join('|')).toContain('at or above 90');
  const mmeCard = page.locator('#cards article', { hasText: 'at or above 90' });
  // No reason is chosen for the prescriber; overriding without one asks for it.
  expect(await mmeCard.locator('select').inputValue()).toBe('');
  await mmeCard.locator('button:has-text("Override")').click();
  await expect.poll(() => page.textContent('#status')).toContain('Choose an override reason');
  await mmeCard.locator('select').selectOption('stable-long-term');
  await mmeCard.locator('button:has-text("Override")').click();
  await expect.poll(() => page.textContent('#status')).toContain('Overridden');
  // Signing the same order: the overridden warning is not repeated, and the order is signed, naming what was overridden.
  await page.click('#sign-button');
  await expect.poll(() => page.textContent('#status')).toMatch(/^Order signed: .*Overridden: .*Stable long-term therapy/);
  expect((await cardTitles(page)).join('|')).not.toContain('at or above 90');
  await order(page, 'mme-stable-80', 'oxycodone');
  expect((await cardTitles(page)).join('|')).toContain('justified exception on file');
  // The prescriber is named, never referenced.
  const quiet = await page.textContent('#cards article:has-text("justified exception on file")');
  expect(quiet).toContain('documented by you (Dr Dana Prescriber)');
  expect(quiet).not.toContain('Practitioner/');
  await page.screenshot({ path: path.join(SHOTS, 'order-screen-quiet-card.png'), fullPage: true });

  // The patient on a benzodiazepine hears "naloxone" from one card only.
  await order(page, 'benzo', 'oxycodone');
  const naloxoneCards = await page.$$eval('#cards article', (cards) => cards.filter((c) => /naloxone/i.test(c.textContent ?? '')).map((c) => c.querySelector('h3')?.textContent ?? ''));
  expect(naloxoneCards).toHaveLength(1);
  expect(naloxoneCards[0]).toMatch(/^Offer naloxone/);

  // 3. Launch the SMART app from the PGx card (it opens beside the order screen, which keeps the draft) and document a justification.
  await order(page, 'pgx-poor', 'codeine');
  const pgxCard = page.locator('#cards article', { hasText: 'Avoid codeine' });
  const [app] = await Promise.all([context.waitForEvent('page'), pgxCard.locator('button:has-text("Open the pain management app")').click()]);
  await app.waitForURL(/\/app\/index\.html/, { timeout: 15_000 });
  await expect.poll(() => app.textContent('#banner'), { timeout: 15_000 }).toContain('Maria Poor');
  expect(await app.textContent('#pgx-body')).toContain('Poor metabolizer');
  // The prescriber comes from the id_token (whose base64url has '-' and '_', decoded with jose) and is read by name.
  expect(await app.textContent('#banner')).toContain('signed in as Dr Dana Prescriber');
  // The card said which drug and phenotype it was about; no reason is chosen for the prescriber.
  expect(await app.inputValue('#topic')).toBe('pgx');
  expect(await app.inputValue('#drug')).toBe('codeine');
  expect(await app.inputValue('#reason')).toBe('');
  const savedIssue = app.waitForRequest((r) => r.url().endsWith('/fhir/DetectedIssue') && r.method() === 'POST');
  await app.selectOption('#reason', 'pgx-reviewed');
  await app.fill('#rationale', 'Discussed with the patient; short course, acetaminophen alone failed.');
  await app.fill('#goals', 'Walk 20 minutes a day');
  await app.fill('#review', '2026-12-31');
  await app.screenshot({ path: path.join(SHOTS, 'smart-app.png'), fullPage: true });
  await app.click('#justification button[type=submit]');
  await expect.poll(() => app.textContent('#result'), { timeout: 10_000 }).toContain('Justification saved');
  const written = (await savedIssue).postDataJSON() as { extension: { url: string; valueString?: string }[] };
  expect(written.extension).toEqual(
    expect.arrayContaining([
      { url: 'urn:pain-cds:justified-ingredient', valueString: 'codeine' },
      { url: 'urn:pain-cds:justified-phenotype', valueString: 'PM' },
    ]),
  );

  await app.close();

  // 4. Back on the order screen, the draft is still there; the next hook call sees the justification, for codeine only.
  expect(await page.textContent('#draft')).toContain('Codeine');
  await order(page, 'pgx-poor', 'codeine');
  expect((await cardTitles(page)).join('|')).toContain('justified exception on file');
  await order(page, 'pgx-poor', 'tramadol');
  expect((await cardTitles(page)).join('|')).toMatch(/Avoid tramadol/);
  expect(outside).toEqual([]);
  expect(consoleErrors).toEqual([]);
  await context.close();
}, 120_000);

test('the SMART app shows the dose picture, labels every field, explains failures in plain words and keeps what was typed', async () => {
  const context = await setup.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // Launched from a dose card shown for a draft order that brings the total to 140 MME/day.
  await launchApp(page, setup.demo.base, 'mme-stable-80', 'view=mme&mme=140');

  // Dose view: the total, one row per order, and the chart with both thresholds.
  const mme = await page.textContent('#mme-body');
  expect(mme).toMatch(/\b80 MME\/day/);
  expect(await page.$$eval('#mme-body table tr', (rows) => rows.length)).toBeGreaterThan(1);
  const chartLabel = await page.getAttribute('#mme-body svg[role=img]', 'aria-label');
  expect(chartLabel).toMatch(/Total MME per day, by month: (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d+/);
  const chartTexts = await page.$$eval('#mme-body svg text', (t) => t.map((n) => n.textContent));
  // A labelled y-axis with numbers, month names, and the dose levels named from the rule set's parameters.
  expect(chartTexts).toEqual(expect.arrayContaining(['MME per day', '0', '50', '100', '50 MME/day: reassess', '90 MME/day: high dose']));
  expect(chartTexts.some((t) => /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$/.test(t ?? ''))).toBe(true);
  // The card's appContext chose the topic of the justification.
  expect(await page.inputValue('#topic')).toBe('mme');

  // Every form control has a label a screen reader announces.
  const unlabelled = await page.$$eval('input, select, textarea', (els) => els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id));
  expect(unlabelled).toEqual([]);

  await page.selectOption('#reason', 'stable-long-term');
  await page.fill('#rationale', 'Stable for two years, function improved.');
  await page.fill('#goals', 'Work full days');
  await page.fill('#review', '2027-02-01');

  const failures: [string, (route: import('playwright-core').Route) => Promise<void>, RegExp][] = [
    ['401', (r) => r.fulfill({ status: 401, contentType: 'application/fhir+json', body: '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]}' }), /session with the EHR has expired/],
    ['403', (r) => r.fulfill({ status: 403, contentType: 'application/fhir+json', body: '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden"}]}' }), /did not allow this/],
    ['network', (r) => r.abort('failed'), /could not be reached/],
  ];
  for (const [name, answer, message] of failures) {
    await page.route(`${setup.demo.base}/fhir/DetectedIssue`, answer);
    await page.click('#justification button[type=submit]');
    await expect.poll(() => page.textContent('#result'), { timeout: 10_000, message: name }).toMatch(message);
    expect(await page.textContent('#result')).toContain('what you typed is kept');
    expect(await page.inputValue('#rationale')).toBe('Stable for two years, function improved.');
    await page.unroute(`${setup.demo.base}/fhir/DetectedIssue`);
  }
  await page.screenshot({ path: path.join(SHOTS, 'smart-app-error.png'), fullPage: true });

  // Reloading the page (a new session of the same launch) brings the typed text back.
  await page.reload();
  await expect.poll(() => page.textContent('#banner'), { timeout: 15_000 }).not.toContain('Loading');
  expect(await page.inputValue('#rationale')).toBe('Stable for two years, function improved.');
  expect(await page.inputValue('#goals')).toBe('Work full days');
  expect(await page.inputValue('#reason')).toBe('stable-long-term');

  // Once the EHR answers again, the same text is saved, for the total the card was about (with its draft order).
  const savedIssue = page.waitForRequest((r) => r.url().endsWith('/fhir/DetectedIssue') && r.method() === 'POST');
  await page.click('#justification button[type=submit]');
  await expect.poll(() => page.textContent('#result'), { timeout: 10_000 }).toContain('Justification saved');
  const written = (await savedIssue).postDataJSON() as { extension: { url: string; valueDecimal?: number }[] };
  expect(written.extension).toContainEqual({ url: 'urn:pain-cds:justified-mme', valueDecimal: 140 });
  await context.close();
}, 120_000);

/**
 * What each story of the demo EHR (README "Demo EHR and the SMART app", src/sandbox/seed.ts) shows:
 * the drug to order, the hook, the card titles expected, and the view of the SMART app to open.
 */
const STORIES: Record<string, { drug: string; hook: 'select' | 'sign'; cards: RegExp[]; view: string }> = {
  'pgx-poor': { drug: 'codeine', hook: 'select', cards: [/^Avoid codeine for this CYP2D6 poor metabolizer/], view: 'pgx' },
  'pgx-ultrarapid': { drug: 'codeine', hook: 'select', cards: [/^Avoid codeine for this CYP2D6 ultrarapid metabolizer/], view: 'pgx' },
  'pgx-paroxetine': { drug: 'codeine', hook: 'select', cards: [/^Avoid codeine for this CYP2D6 poor metabolizer/], view: 'pgx' },
  'mme-stable-80': { drug: 'oxycodone', hook: 'select', cards: [/at or above 90 MME\/day/], view: 'mme' },
  'cancer-pain': { drug: 'oxycodone', hook: 'select', cards: [/CDC dose thresholds do not apply/, /^Offer naloxone/], view: 'mme' },
  benzo: { drug: 'oxycodone', hook: 'select', cards: [/^Reconsider opioid with benzodiazepine/, /^Offer naloxone/], view: 'mme' },
  'no-genotype': { drug: 'codeine', hook: 'sign', cards: [/^No CYP2D6 result on file/], view: 'pgx' },
  'pro-improving': { drug: 'oxycodone', hook: 'sign', cards: [], view: 'pro' },
  'pro-depression': { drug: 'oxycodone', hook: 'select', cards: [/^Mental-health or overdose risk/, /^Benefit not shown/], view: 'pro' },
};
const WIDTHS = [
  { name: 'desktop', viewport: { width: 1366, height: 900 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const;

/**
 * Everything that does not fit the window: the page wider than the viewport, an element reaching
 * past either edge, or content spilling out of its box. Only a table may scroll sideways in its own box.
 */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const problems: string[] = [];
    const page = document.documentElement.scrollWidth;
    if (page > vw) problems.push(`the page is ${page}px wide in a ${vw}px window`);
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent ?? '').trim().slice(0, 50)}"`;
    const scrolls = (el: Element) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden' || el.closest('[hidden]')) continue;
      const table = el.closest('table');
      if (table && scrolls(table)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > vw + 1 || r.left < -1) {
        problems.push(`${name(el)} spans ${Math.round(r.left)} to ${Math.round(r.right)}px`);
        continue;
      }
      if (el instanceof HTMLElement && !el.matches('input, select, textarea') && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${name(el)} holds ${el.scrollWidth}px of content in ${el.clientWidth}px`);
      }
    }
    return problems;
  });
}

const unlabelledControls = (page: Page) =>
  page.$$eval('input, select, textarea, button', (els) =>
    els
      .filter((e) => (e instanceof HTMLButtonElement ? !(e.textContent ?? '').trim() && !e.getAttribute('aria-label') : !(e as HTMLInputElement).labels?.length))
      .map((e) => e.outerHTML.slice(0, 80)),
  );

test('every story at desktop and at phone width: nothing wider than the screen, cards readable, the genotype test orderable', async () => {
  // Every demo patient has a story here, and the README's table names them all.
  expect(Object.keys(STORIES).sort()).toEqual(DEMO_PATIENTS.map((p) => p.id).sort());
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const p of DEMO_PATIENTS) expect(readme, p.label).toContain(`| ${p.label.replace(/ \(.*$/, '')}`);

  for (const width of WIDTHS) {
    // A fresh demo for each width: both see each story the first time (no exception or repeat on file).
    const fresh = await startDemoService({ LOG_LEVEL: 'warn' });
    const context = await setup.browser.newContext({ viewport: width.viewport });
    const outside: string[] = [];
    const consoleErrors: string[] = [];
    context.on('request', (r) => {
      if (!r.url().startsWith(fresh.base) && r.url() !== 'about:blank') outside.push(r.url());
    });
    context.on('page', (p) => {
      p.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
      p.on('pageerror', (e) => void consoleErrors.push(e.message));
    });
    const page = await context.newPage();
    await page.goto(`${fresh.base}/ehr/`);
    await expect.poll(() => page.$$eval('#patient option', (o) => o.length)).toBe(DEMO_PATIENTS.length);
    expect(await unlabelledControls(page)).toEqual([]);

    for (const [patient, story] of Object.entries(STORIES)) {
      const where = `${patient} at ${width.name} width`;
      await page.selectOption('#patient', patient);
      await page.selectOption('#drug', story.drug);
      await page.click(story.hook === 'select' ? '#select-button' : '#sign-button');
      await expect.poll(() => page.textContent('#status'), { timeout: 10_000, message: where }).toMatch(story.hook === 'select' ? /card\(s\)/ : /signed|Not signed/);
      const titles = await cardTitles(page);
      for (const card of story.cards) expect(titles, where).toEqual(expect.arrayContaining([expect.stringMatching(card)]));
      expect(await layoutProblems(page), where).toEqual([]);
      expect(await unlabelledControls(page), where).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, `story-${patient}-${width.name}.png`), fullPage: true });

      if (patient === 'cancer-pain') {
        // No dose alert for her, and the naloxone card offers reasons a patient with cancer can have.
        expect(titles.join('|'), where).not.toMatch(/at or above (50|90) MME\/day/);
        const reasons = await page.locator('#cards article', { hasText: 'Offer naloxone' }).locator('select option').allTextContents();
        expect(reasons, where).toEqual(['Choose a reason', 'Patient declined naloxone', 'Patient already has naloxone (not in this record)']);
      }
      if (patient === 'no-genotype') {
        // The pre-test card's suggestion orders the test and leaves the codeine draft as it is.
        const draftBefore = await page.textContent('#draft');
        expect(draftBefore).toContain('Codeine');
        await page.locator('#cards article', { hasText: 'No CYP2D6 result on file' }).locator('button:has-text("Order a CYP2D6 genotype test")').click();
        await expect.poll(() => page.textContent('#status'), { message: where }).toBe('Ordered: CYP2D6 genotype test');
        expect(await page.textContent('#draft')).toBe(draftBefore);
        expect(await page.$eval('#drug', (s) => (s as HTMLSelectElement).value)).toBe('codeine');
      }

      // The SMART app for the same patient, opened as a card link opens it.
      const app = await context.newPage();
      await launchApp(app, fresh.base, patient, `view=${story.view}`);
      expect(await app.textContent('#banner'), where).toContain(DEMO_PATIENTS.find((p) => p.id === patient)!.compact.name);
      expect(await layoutProblems(app), `app for ${where}`).toEqual([]);
      expect(await unlabelledControls(app), `app for ${where}`).toEqual([]);
      await app.screenshot({ path: path.join(SHOTS, `app-${patient}-${width.name}.png`), fullPage: true });
      await app.close();
    }
    expect(outside).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
    await fresh.close();
  }
}, 240_000);
