import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cardSpecProblems } from '../../src/cds/card-spec.js';
import { painDomain } from '../../src/pipeline/pain-domain.js';
import { loadConfig } from '../../src/config.js';
import { PROVENANCE_EXTENSION } from '../../src/cds/types.js';
import { RuleSetError } from '../../src/rules/problems.js';
import { renderCard } from '../../src/rules/render.js';
import { RuleRuntime } from '../../src/rules/runtime.js';
import type { expandPatient } from '../../src/pipeline/scenarios/compact-patient.js';
import { contextFor } from '../helpers/hooks.js';
import { services } from '../../src/services/index.js';
import { decideFor } from '../../src/pipeline/hook.js';
import type { PainKnowledge } from '../../src/clinical/knowledge.js';
import { REPO_ROOT } from '../helpers/service.js';

const SERVICE_IDS = services.map((s) => s.definition.id);
const config = loadConfig({ CDS_AUTH: 'off' });
const domain = painDomain(config);
const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

/** A copy of rules/ and cards/ to break on purpose. */
function copyRuleSet(): { rulesDir: string; cardsDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-'));
  temps.push(root);
  fs.cpSync(path.join(REPO_ROOT, 'rules'), path.join(root, 'rules'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'cards'), path.join(root, 'cards'), { recursive: true });
  return { rulesDir: path.join(root, 'rules'), cardsDir: path.join(root, 'cards') };
}

function edit(file: string, change: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

function problemsOf(dirs: { rulesDir: string; cardsDir: string }) {
  try {
    RuleRuntime.load(dirs, domain, SERVICE_IDS);
  } catch (e) {
    if (e instanceof RuleSetError) return e.problems;
    throw e;
  }
  return [];
}

type Rules = { rules: { conditions: { all: Record<string, unknown>[] }; event: { card: string; params: Record<string, unknown> } }[] };

describe('loader errors name the file, the JSON path and what is wrong', () => {
  test.each([
    [
      'unknown fact',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.rulesDir, 'mme/thresholds.json'), (j) => {
          (j as unknown as Rules).rules[0]!.conditions.all[2]!.fact = 'mme.totl';
        }),
      { file: 'rules/mme/thresholds.json', path: 'rules[0].conditions.all[2].fact', message: expect.stringContaining("did you mean 'mme.total'") },
    ],
    [
      'unknown operator',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.rulesDir, 'mme/thresholds.json'), (j) => {
          (j as unknown as Rules).rules[0]!.conditions.all[2]!.operator = 'greaterThanOrEqual';
        }),
      { file: 'rules/mme/thresholds.json', path: 'rules[0].conditions.all[2].operator', message: expect.stringContaining('unknown operator') },
    ],
    [
      'unknown card template',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.rulesDir, 'pgx/codeine-tramadol.json'), (j) => {
          (j as unknown as Rules).rules[1]!.event.card = 'pgx-avoid';
        }),
      { file: 'rules/pgx/codeine-tramadol.json', path: 'rules[1].event.card', message: expect.stringContaining("unknown card template 'pgx-avoid'") },
    ],
    [
      'placeholder with no value source',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.cardsDir, 'mme-threshold.json'), (j) => {
          j.detail = `${j.detail} {{mme.sum}}`;
        }),
      { file: 'cards/mme-threshold.json', path: 'detail', message: expect.stringContaining('{{mme.sum}} has no value source') },
    ],
    [
      'template parameter the rule does not give',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.rulesDir, 'mme/thresholds.json'), (j) => {
          delete (j as unknown as Rules).rules[0]!.event.params.advice;
        }),
      { file: 'rules/mme/thresholds.json', path: 'rules[0].event.params', message: expect.stringContaining("no 'advice' parameter") },
    ],
    [
      'bad JSON',
      (d: ReturnType<typeof copyRuleSet>) => fs.writeFileSync(path.join(d.rulesDir, 'pgx/hydrocodone.json'), '{ "rules": [ '),
      { file: 'rules/pgx/hydrocodone.json', path: '', message: expect.stringContaining('not valid JSON') },
    ],
    [
      'unknown named condition',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.rulesDir, 'pgx/hydrocodone.json'), (j) => {
          (j as unknown as Rules).rules[0]!.conditions.all[0] = { condition: 'orderIsHydrocodon' };
        }),
      { file: 'rules/pgx/hydrocodone.json', path: 'rules[0].conditions.all[0].condition', message: expect.stringContaining("did you mean 'orderIsHydrocodone'") },
    ],
    [
      'patient-scope rule using an order fact',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.rulesDir, 'pgx/patient-summary.json'), (j) => {
          (j as { conditions: { all: unknown[] } }).conditions.all.push({ fact: 'order.ingredient', operator: 'equal', value: 'codeine' });
        }),
      { file: 'rules/pgx/patient-summary.json', path: 'scope', message: expect.stringContaining('order fact') },
    ],
    [
      'unknown override reason',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.cardsDir, 'cns-depressant.json'), (j) => {
          (j.overrideReasons as string[]).push('because');
        }),
      { file: 'cards/cns-depressant.json', path: 'overrideReasons[3]', message: expect.stringContaining("unknown override reason 'because'") },
    ],
    [
      'knowledge table with a bad value',
      (d: ReturnType<typeof copyRuleSet>) =>
        edit(path.join(d.rulesDir, 'knowledge/mme-factors-cdc-2022.json'), (j) => {
          ((j.data as { factors: { factor: unknown }[] }).factors[0]!).factor = 'high';
        }),
      { file: 'rules/knowledge/mme-factors-cdc-2022.json', path: 'data.factors[0].factor', message: expect.any(String) },
    ],
  ])('%s', (_name, breakIt, expected) => {
    const dirs = copyRuleSet();
    breakIt(dirs);
    expect(problemsOf(dirs)).toContainEqual(expect.objectContaining(expected));
  });

  test('several errors are reported together', () => {
    const dirs = copyRuleSet();
    edit(path.join(dirs.rulesDir, 'mme/thresholds.json'), (j) => {
      (j as unknown as Rules).rules[0]!.conditions.all[2]!.fact = 'nope.one';
      (j as unknown as Rules).rules[1]!.conditions.all[2]!.fact = 'nope.two';
    });
    fs.writeFileSync(path.join(dirs.cardsDir, 'broken.json'), 'not json');
    expect(problemsOf(dirs).length).toBeGreaterThanOrEqual(3);
  });
});

describe('contract', () => {
  const runtime = RuleRuntime.load({ rulesDir: path.join(REPO_ROOT, 'rules'), cardsDir: path.join(REPO_ROOT, 'cards') }, domain, SERVICE_IDS);
  const examples = Object.fromEntries(domain.facts.map((f) => [f.name, f.example]));

  test('every rule loads, every event has a template, and every template renders to a valid CDS Hooks card', () => {
    expect(runtime.data.rules.length).toBeGreaterThan(20);
    for (const { definition: rule } of runtime.data.rules) {
      const template = runtime.data.templates.get(rule.event.card);
      expect(template, rule.id).toBeDefined();
      const card = renderCard({
        template: template!.template,
        rule,
        facts: examples,
        settings: domain.settings,
        tableFormatters: domain.tableFormatters ?? {},
        parameters: runtime.data.parameters,
        overrideReason: (code) => domain.overrideReason(runtime.knowledge, code),
        dataVersions: runtime.data.dataVersions,
        provenanceFacts: ['mme.total'],
        patientId: 'p',
      });
      expect(cardSpecProblems(card), `${rule.id} -> ${template!.template.id}`).toEqual([]);
      expect(card.summary).not.toMatch(/\{\{|unknown/);
      expect(card.extension[PROVENANCE_EXTENSION]).toMatchObject({ ruleId: rule.id, ruleVersion: rule.version });
    }
  });

  test('placeholder-like text inside a value is shown as it is, never expanded', () => {
    const { definition: rule } = runtime.data.rules.find((r) => r.definition.id === 'pgx-codeine-poor')!;
    const template = runtime.data.templates.get(rule.event.card)!.template;
    // cyp2d6.basis comes early in the detail; {{cyp2d6.dataVersion}} and {{order.ingredient}} are filled later in the same text.
    const hostile = '{{settings.pdmpUrl}} {{cyp2d6.dataVersion}} {{order.ingredient}}';
    const card = renderCard({
      template,
      rule,
      facts: { ...examples, 'cyp2d6.basis': hostile },
      settings: domain.settings,
      tableFormatters: domain.tableFormatters ?? {},
      parameters: runtime.data.parameters,
      overrideReason: (code) => domain.overrideReason(runtime.knowledge, code),
      dataVersions: runtime.data.dataVersions,
      provenanceFacts: [],
      patientId: 'p',
    });
    // The value appears once, as text (markdown-escaped in the detail), and nothing inside it was filled in.
    expect(card.detail).toContain(hostile);
    expect(card.detail).not.toContain(domain.settings.pdmpUrl);
  });

  test('every template is used by at least one rule', () => {
    const used = new Set(runtime.data.rules.map((r) => r.definition.event.card));
    expect([...runtime.data.templates.keys()].filter((t) => !used.has(t))).toEqual([]);
  });
});

describe('reload', () => {
  const codeine = { id: 'd1', rxnorm: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet', dose: 1, frequency: 4 };
  const oxy = { id: 'd2', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: 1, frequency: 4 };
  const now = new Date('2026-06-01T00:00:00Z');
  const firedRules = async (rt: RuleRuntime<PainKnowledge>, serviceId: string, patient: Parameters<typeof expandPatient>[0]) =>
    (await decideFor(rt, serviceId, contextFor(patient, now))).cards.map((c) => c.extension[PROVENANCE_EXTENSION].ruleId);

  test('a valid change is picked up; an invalid one is rejected and the old set keeps serving, while requests run', async () => {
    const dirs = copyRuleSet();
    const rt = RuleRuntime.load(dirs, domain, SERVICE_IDS);
    // 60 MME: fires the 50 rule, not the 90 rule.
    expect(await firedRules(rt, 'opioid-order-sign', { drafts: [oxy] })).toContain('mme-50-reached');

    const serving = Array.from({ length: 50 }, () => firedRules(rt, 'opioid-order-sign', { drafts: [oxy] }));
    edit(path.join(dirs.rulesDir, 'mme/thresholds.json'), (j) => {
      const rules = (j as unknown as Rules).rules as unknown as { id: string; conditions: { all: { fact?: string; value?: unknown }[] } }[];
      const reached = rules.find((r) => r.id === 'mme-90-reached')!;
      for (const c of reached.conditions.all) if (c.fact === 'mme.total' || c.fact === 'mme.existing') c.value = 60;
    });
    const ok = await rt.reload();
    expect(ok.ok).toBe(true);
    for (const result of await Promise.all(serving)) expect(result.includes('mme-50-reached') || result.includes('mme-90-reached')).toBe(true);
    expect(await firedRules(rt, 'opioid-order-sign', { drafts: [oxy] })).toContain('mme-90-reached');

    fs.writeFileSync(path.join(dirs.cardsDir, 'pgx-info.json'), '{"id": "pgx-info", "version": "x"}');
    const rejected = await rt.reload();
    expect(rejected.ok).toBe(false);
    expect(rt.health()).toMatchObject({ status: 'degraded', rulesReload: { status: 'rejected', problems: expect.arrayContaining([expect.objectContaining({ file: 'cards/pgx-info.json' })]) } });
    expect(await firedRules(rt, 'opioid-order-sign', { drafts: [oxy] })).toContain('mme-90-reached');
    expect(await firedRules(rt, 'opioid-order-select', { cyp2d6: '*1/*4', drafts: [codeine] })).toContain('pgx-codeine-intermediate');
  });
});

describe('concurrency', () => {
  test('hundreds of simultaneous evaluations with different patients never mix results', async () => {
    const rt = RuleRuntime.load({ rulesDir: path.join(REPO_ROOT, 'rules'), cardsDir: path.join(REPO_ROOT, 'cards') }, domain, SERVICE_IDS);
    const now = new Date('2026-06-01T00:00:00Z');
    const codeine = { id: 'c', rxnorm: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet', dose: 1, frequency: 4 };
    const oxy = (n: number) => ({ id: 'o', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet', dose: n, frequency: 4 });
    // Each kind fires rules at different priorities; the expected set is known per kind.
    const kinds = [
      { patient: { cyp2d6: '*1/*1x2', drafts: [codeine] }, expect: ['pgx-codeine-ultrarapid'] },
      { patient: { cyp2d6: '*4/*4', drafts: [codeine] }, expect: ['pgx-codeine-poor'] },
      { patient: { cyp2d6: '*1/*1', drafts: [oxy(1)] }, expect: ['mme-50-reached', 'naloxone-offer'] },
      { patient: { cyp2d6: '*1/*1', drafts: [oxy(3)] }, expect: ['mme-90-reached', 'naloxone-offer'] },
      { patient: { cyp2d6: '*1/*4', drafts: [codeine] }, expect: ['pgx-codeine-intermediate'] },
      { patient: { cyp2d6: '*1/*1', drafts: [] }, expect: [] },
    ];
    const calls = Array.from({ length: 300 }, (_, i) => {
      const kind = kinds[i % kinds.length]!;
      const context = contextFor({ id: `p${i}`, ...kind.patient }, now);
      return decideFor(rt, 'opioid-order-select', context).then((d) => ({ i, kind, d }));
    });
    for (const { i, kind, d } of await Promise.all(calls)) {
      expect(d.cards.map((c) => c.extension[PROVENANCE_EXTENSION].ruleId).sort(), `call ${i}`).toEqual([...kind.expect].sort());
      for (const c of d.cards) {
        const ref = (c.extension[PROVENANCE_EXTENSION].values as Record<string, unknown>)['order.ref'];
        if (ref) expect(ref).toMatch(/^MedicationRequest\//);
        for (const s of c.suggestions ?? []) for (const a of s.actions ?? []) if (a.resource) expect(JSON.stringify(a.resource)).toContain(`Patient/p${i}`);
      }
    }
  });
});
