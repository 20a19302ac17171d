import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { painDomain } from '../../src/pipeline/pain-domain.js';
import { loadConfig } from '../../src/config.js';
import { PROVENANCE_EXTENSION } from '../../src/cds/types.js';
import { RuleSetError } from '../../src/rules/problems.js';
import { RuleRuntime } from '../../src/rules/runtime.js';
import { services } from '../../src/services/index.js';
import { contextFor } from '../helpers/hooks.js';
import { decideFor } from '../../src/pipeline/hook.js';
import { REPO_ROOT } from '../helpers/service.js';

/**
 * Named parameters (rules/parameters.json): a value shared by rules and card
 * text is defined once; a reference to an unknown parameter, or one of
 * another unit than the fact it is compared with, is a rule-set error naming
 * the file and the path; cards record the parameter values their rule used.
 */
const SERVICE_IDS = services.map((s) => s.definition.id);
const domain = painDomain(loadConfig({ CDS_AUTH: 'off' }));
const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

function ruleSetWith(rule: Record<string, unknown>, card?: Record<string, unknown>): { rulesDir: string; cardsDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parameters-'));
  temps.push(root);
  fs.cpSync(path.join(REPO_ROOT, 'rules'), path.join(root, 'rules'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'cards'), path.join(root, 'cards'), { recursive: true });
  fs.writeFileSync(path.join(root, 'rules', 'test-parameter.json'), JSON.stringify(rule));
  if (card) fs.writeFileSync(path.join(root, 'cards', 'test-parameter.json'), JSON.stringify(card));
  return { rulesDir: path.join(root, 'rules'), cardsDir: path.join(root, 'cards') };
}

const card = {
  id: 'test-parameter',
  version: '1.0.0',
  indicator: 'info',
  summary: 'At or above {{parameters.mme.high|mme}}: {{mme.total|mme}}',
  source: { label: 'Test' },
};
const rule = (value: unknown, fact = 'mme.total') => ({
  id: 'test-parameter',
  version: '1.0.0',
  title: 'Test',
  services: ['opioid-order-sign'],
  scope: 'patient',
  citation: { guideline: 'Test', version: '1' },
  conditions: { all: [{ fact, operator: 'greaterThanInclusive', value }] },
  event: { card: 'test-parameter' },
});

function problemsOf(dirs: { rulesDir: string; cardsDir: string }) {
  try {
    RuleRuntime.load(dirs, domain, SERVICE_IDS);
    return [];
  } catch (e) {
    if (e instanceof RuleSetError) return e.problems;
    throw e;
  }
}

describe('parameter references', () => {
  test('an unknown parameter is an error naming the file and path, with the known ones', () => {
    expect(problemsOf(ruleSetWith(rule({ parameter: 'mme.hihg' }), card))).toContainEqual({
      file: 'rules/test-parameter.json',
      path: 'conditions.all[0].value.parameter',
      message: expect.stringMatching(/unknown parameter 'mme.hihg'.*mme.high/),
    });
  });

  test('a parameter of another unit than the fact is an error (days compared with MME/day)', () => {
    expect(problemsOf(ruleSetWith(rule({ parameter: 'pdmp.reviewIntervalDays' }), card))).toContainEqual({
      file: 'rules/test-parameter.json',
      path: 'conditions.all[0].value.parameter',
      message: "parameter 'pdmp.reviewIntervalDays' is in days, but fact 'mme.total' is in MME/day",
    });
  });

  test('an unknown parameter in card text is an error', () => {
    expect(problemsOf(ruleSetWith(rule({ parameter: 'mme.high' }), { ...card, summary: '{{parameters.mme.top}}' }))).toContainEqual(
      expect.objectContaining({ file: 'cards/test-parameter.json', path: 'summary', message: expect.stringContaining('unknown parameter in {{parameters.mme.top}}') }),
    );
  });

  test('the rule compares with the value, the card shows it, and the provenance records it', async () => {
    const dirs = ruleSetWith(rule({ parameter: 'mme.high' }), card);
    const parameters = JSON.parse(fs.readFileSync(path.join(dirs.rulesDir, 'parameters.json'), 'utf8'));
    parameters.parameters['mme.high'].value = 80;
    fs.writeFileSync(path.join(dirs.rulesDir, 'parameters.json'), JSON.stringify(parameters));
    const runtime = RuleRuntime.load(dirs, domain, SERVICE_IDS);
    // Oxycodone 10 mg, 2 tablets every 6 hours: 120 MME/day; 1 tablet every 8 hours: 45 MME/day.
    const oxy = (dose: number, period: number) => ({ drafts: [{ id: 'o', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose, frequency: 1, period, periodUnit: 'h' as const }] });
    const fired = async (patient: ReturnType<typeof oxy>) => (await decideFor(runtime, 'opioid-order-sign', contextFor(patient))).cards.find((c) => c.extension[PROVENANCE_EXTENSION].ruleId === 'test-parameter');
    const high = await fired(oxy(2, 6));
    expect(high?.summary).toBe('At or above 80 MME/day: 120 MME/day');
    expect(high?.extension[PROVENANCE_EXTENSION].values.parameters).toEqual({ 'mme.high': 80 });
    expect(high?.extension[PROVENANCE_EXTENSION].ruleSet).toMatch(/^[0-9a-f]{16}$/);
    expect(await fired(oxy(1, 8))).toBeUndefined();
  });

  test('the content hash changes with any edit, even without a version bump', () => {
    const dirs = ruleSetWith(rule({ parameter: 'mme.high' }), card);
    const before = RuleRuntime.load(dirs, domain, SERVICE_IDS).summary().contentHash;
    fs.writeFileSync(path.join(dirs.cardsDir, 'test-parameter.json'), JSON.stringify({ ...card, summary: `${card.summary} ` }));
    expect(RuleRuntime.load(dirs, domain, SERVICE_IDS).summary().contentHash).not.toBe(before);
  });
});

describe('JSON syntax errors', () => {
  test('name the line and column, not only the character position', () => {
    const dirs = ruleSetWith(rule(50));
    fs.writeFileSync(path.join(dirs.rulesDir, 'test-parameter.json'), '{\n  "id": "x",\n  "version": "1.0.0",\n}\n');
    expect(problemsOf(dirs)).toContainEqual({ file: 'rules/test-parameter.json', path: '', message: expect.stringMatching(/is not valid JSON: .* at line 4, column 1$/) });
  });
});
