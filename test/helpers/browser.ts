import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { REPO_ROOT, startDemoService, type ListeningDemoService } from './service.js';

/** Where the browser tests leave their screenshots (CI keeps them as artifacts). */
export const SHOTS = path.join(REPO_ROOT, 'test-artifacts', 'screenshots');

/** Debian chromium, headless, with nothing that reaches outside loopback by itself. */
export async function launchBrowser(): Promise<Browser> {
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the SMART app the way the demo EHR does (a launch through its API) for one patient, and waits until it has loaded. */
export async function launchApp(page: Page, base: string, patientId: string, appContext?: string): Promise<void> {
  await page.goto(`${base}/ehr/`);
  const url = await page.evaluate(async (body) => {
    const res = await fetch('api/launch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return ((await res.json()) as { url: string }).url;
  }, { patientId, ...(appContext ? { appContext } : {}) });
  await page.goto(url);
  await page.waitForURL(/\/app\/index\.html/, { timeout: 15_000 });
  await expect.poll(() => page.textContent('#banner'), { timeout: 15_000 }).not.toContain('Loading');
}

/**
 * The demo service (EHR, FHIR server, SMART app) and a browser for the tests of one file: started before them,
 * stopped after. Read `demo` and `browser` inside the tests (they are set once the file's setup has run).
 */
export function demoAndBrowser(): { readonly demo: ListeningDemoService; readonly browser: Browser } {
  const held = {} as { demo: ListeningDemoService; browser: Browser };
  beforeAll(async () => {
    held.demo = await startDemoService({ LOG_LEVEL: 'warn' });
    held.browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await held.browser?.close();
    await held.demo?.close();
  });
  return held;
}
