import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { painDomain } from '../../src/pipeline/pain-domain.js';
import { createLogger } from '../../src/logger.js';
import { RuleRuntime } from '../../src/rules/runtime.js';
import { scenarioGate } from '../../src/pipeline/scenarios/verify.js';
import { services } from '../../src/services/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { watchRuleFiles } from '../../src/rules/watch.js';
import { CODEINE_DRAFT, hookBody } from '../helpers/hooks.js';
import { REPO_ROOT, startTestService, type TestService } from '../helpers/service.js';

/**
 * Rule edits reach prescribers only when they are whole and tested: the
 * watched folders are polled (a file replaced by rename, as `sed -i` and
 * editors save, is seen every time), and a reloaded set serves only if every
 * scenario in rules/tests passes against it. A rejected reload shows on
 * /healthz without taking the instance out of service.
 */
let root: string;
let live: TestService;
let stop: () => void;
const lines: string[] = [];

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-reload-'));
  fs.cpSync(path.join(REPO_ROOT, 'rules'), path.join(root, 'rules'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'cards'), path.join(root, 'cards'), { recursive: true });
  live = await startTestService({ env: { RULES_DIR: path.join(root, 'rules'), CARDS_DIR: path.join(root, 'cards') } });
  lines.length = 0;
  stop = watchRuleFiles([path.join(root, 'rules'), path.join(root, 'cards')], () => live.reloadRules(), createLogger('info', { write: (l: string) => void lines.push(l) }), 50);
});

afterEach(async () => {
  stop();
  await live.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Saves a file the way `sed -i` and most editors do: write a new file, rename it over the old one. */
function saveByRename(file: string, change: (text: string) => string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, change(fs.readFileSync(file, 'utf8')));
  fs.renameSync(tmp, file);
}

async function firedRules(body: unknown): Promise<string[]> {
  const p = '/cds-services/opioid-order-select';
  const res = await live.request.post(p).set('Authorization', `Bearer ${await live.token(p)}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
  return res.body.cards.map((c: { extension: Record<string, { ruleId: string }> }) => c.extension['pain-cds-provenance']!.ruleId);
}

const reloads = () => lines.filter((l) => l.includes('rule set reloaded')).length;
const rejections = () => lines.filter((l) => l.includes('reload rejected')).length;

describe('watching the rule files', () => {
  test('every save by rename is picked up, not only the first', async () => {
    const card = path.join(root, 'cards', 'pgx-info.json');
    for (let i = 1; i <= 3; i++) {
      saveByRename(card, (t) => t.replace(/"description": "[^"]*"/, `"description": "edit ${i}"`));
      await vi.waitFor(() => expect(reloads()).toBe(i), { timeout: 5000, interval: 25 });
    }
    expect(rejections()).toBe(0);
  });
});

describe('a reload is gated by the rule scenarios', () => {
  test('a valid set whose scenarios fail is rejected, named on /healthz (200, degraded), and the old set keeps serving', async () => {
    const body = hookBody('order-select', { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] });
    expect(await firedRules(body)).toContain('pgx-codeine-poor');
    // Switching the rule off is a valid rule file, but the scenarios expect it to fire.
    saveByRename(path.join(root, 'rules', 'pgx', 'codeine-tramadol.json'), (t) => {
      const file = JSON.parse(t) as { rules: { id: string; enabled?: boolean }[] };
      file.rules.find((r) => r.id === 'pgx-codeine-poor')!.enabled = false;
      return JSON.stringify(file, null, 2);
    });
    await vi.waitFor(() => expect(rejections()).toBe(1), { timeout: 15_000, interval: 50 });
    const health = await live.request.get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.rulesReload.problems).toEqual(expect.arrayContaining([expect.objectContaining({ file: 'rules/tests/pgx.json', path: expect.stringContaining('poor metabolizer') })]));
    expect(lines.join('\n')).toContain('rules/tests/pgx.json');
    expect(await firedRules(body)).toContain('pgx-codeine-poor');
  }, 30_000);

  test('once the scenarios agree with the edit, the new set serves and /healthz is ok again', async () => {
    const body = hookBody('order-select', { cyp2d6: '*4/*4', drafts: [CODEINE_DRAFT] });
    // The informaticist switches the rule off and, in the same save, the scenarios that expected it.
    const rules = path.join(root, 'rules', 'pgx', 'codeine-tramadol.json');
    const file = JSON.parse(fs.readFileSync(rules, 'utf8')) as { rules: { id: string; enabled?: boolean }[] };
    file.rules.find((r) => r.id === 'pgx-codeine-poor')!.enabled = false;
    const tests = path.join(root, 'rules', 'tests');
    for (const name of fs.readdirSync(tests)) {
      const scenarios = JSON.parse(fs.readFileSync(path.join(tests, name), 'utf8')) as { scenarios?: { expect: { fires?: string[]; cards?: { rule: string }[] } }[] };
      const kept = (scenarios.scenarios ?? []).filter((s) => !(s.expect.fires ?? []).includes('pgx-codeine-poor') && !(s.expect.cards ?? []).some((c) => c.rule === 'pgx-codeine-poor'));
      if (kept.length > 0) fs.writeFileSync(path.join(tests, name), JSON.stringify({ ...scenarios, scenarios: kept }, null, 2));
      else fs.rmSync(path.join(tests, name));
    }
    fs.writeFileSync(rules, JSON.stringify(file, null, 2));
    await vi.waitFor(async () => expect(await firedRules(body)).not.toContain('pgx-codeine-poor'), { timeout: 15_000, interval: 100 });
    const health = await live.request.get('/healthz');
    expect(health.body.status).toBe('ok');
    expect(rejections()).toBe(0);
  }, 30_000);
});

describe('changing the high-dose level from 90 to 80 is one edit', () => {
  test('rules:test and the live service agree: the same scenarios fail, and once they are updated the live cards use 80', async () => {
    const parametersFile = path.join(root, 'rules', 'parameters.json');
    saveByRename(parametersFile, (t) => {
      const json = JSON.parse(t) as { parameters: Record<string, { value: number }> };
      json.parameters['mme.high']!.value = 80;
      return JSON.stringify(json, null, 2);
    });
    // What rules:test says about the edited set (the same runner, in-process).
    const candidate = RuleRuntime.load({ rulesDir: path.join(root, 'rules'), cardsDir: path.join(root, 'cards') }, painDomain(live.config), services.map((s) => s.definition.id));
    const failing = await scenarioGate(path.join(root, 'rules', 'tests'), () => openSqliteStore({ dataDir: ':memory:' }))(candidate);
    expect(failing.length).toBeGreaterThan(0);
    // The live service refused the same set, naming the same scenarios, and still serves 90.
    await vi.waitFor(() => expect(rejections()).toBe(1), { timeout: 15_000, interval: 50 });
    const health = await live.request.get('/healthz');
    expect(new Set(health.body.rulesReload.problems.map((p: { path: string }) => p.path))).toEqual(new Set(failing.slice(0, 20).map((p) => p.path)));
    // 11 x oxycodone 5 mg a day = 82.5 MME/day: under 90, at or above 80.
    const patient = { drafts: [{ id: 'oxy', rxnorm: '1049621', display: 'Oxycodone Hydrochloride 5 MG Oral Tablet', dose: 1, frequency: 11, period: 1, periodUnit: 'd' as const }] };
    const sign = async () => {
      const p = '/cds-services/opioid-order-sign';
      const res = await live.request.post(p).set('Authorization', `Bearer ${await live.token(p)}`).set('Content-Type', 'application/json').send(JSON.stringify(hookBody('order-sign', patient)));
      return res.body.cards as { summary: string; extension: Record<string, { ruleId: string }> }[];
    };
    expect((await sign()).map((c) => c.extension['pain-cds-provenance']!.ruleId)).toContain('mme-50-reached');
    // The informaticist updates the scenarios that expected the old level (here: drops them); the set then serves.
    const names = new Set(failing.map((p) => p.path));
    for (const file of new Set(failing.map((p) => p.file))) {
      const abs = path.join(root, file);
      const json = JSON.parse(fs.readFileSync(abs, 'utf8')) as { scenarios: { name: string }[] };
      json.scenarios = json.scenarios.filter((s) => !names.has(`scenario "${s.name}"`));
      if (json.scenarios.length > 0) fs.writeFileSync(abs, JSON.stringify(json, null, 2));
      else fs.rmSync(abs);
    }
    await vi.waitFor(async () => expect((await sign()).map((c) => c.extension['pain-cds-provenance']!.ruleId)).toContain('mme-90-reached'), { timeout: 15_000, interval: 100 });
    const card = (await sign()).find((c) => c.extension['pain-cds-provenance']!.ruleId === 'mme-90-reached')!;
    expect(card.summary).toContain('at or above 80');
    expect((await live.request.get('/healthz')).body.status).toBe('ok');
  }, 60_000);
});
