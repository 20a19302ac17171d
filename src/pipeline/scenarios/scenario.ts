import { z } from 'zod';
import type { PainKnowledge } from '../../clinical/knowledge.js';
import type { RuleRuntime } from '../../rules/runtime.js';
import { runHook } from '../hook.js';
import { PROVENANCE_EXTENSION, type Card } from '../../cds/types.js';
import { findService } from '../../services/index.js';
import type { Store } from '../../store/store.js';
import { readJsonFiles } from '../../knowledge/json-files.js';
import { jsonPath, type FileProblem } from '../../knowledge/problems.js';
import { compactPatient, hookRequestFor } from './compact-patient.js';

/**
 * Scenario files (rules/tests/*.json): a hook request, or a compact patient
 * that expands to one, and what the cards must (and must not) say. Run by
 * `npm run rules:test` and inside `npm test`.
 */
const cardExpectation = z
  .object({
    rule: z.string(),
    indicator: z.enum(['info', 'warning', 'critical']).optional(),
    summaryIncludes: z.array(z.string()).optional(),
    detailIncludes: z.array(z.string()).optional(),
    detailExcludes: z.array(z.string()).optional(),
    suggestionActions: z.array(z.enum(['create', 'update', 'delete'])).optional(),
    overrideReasons: z.array(z.string()).optional(),
    values: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    service: z.string().min(1),
    now: z.string().datetime({ offset: true }).default('2026-06-01T12:00:00Z'),
    patient: compactPatient.optional(),
    request: z.record(z.string(), z.unknown()).optional(),
    expect: z
      .object({
        fires: z.array(z.string()).default([]),
        doesNotFire: z.array(z.string()).default([]),
        cardCount: z.number().int().min(0).optional(),
        cards: z.array(cardExpectation).default([]),
      })
      .strict(),
  })
  .strict()
  .refine((s) => (s.patient === undefined) !== (s.request === undefined), 'give exactly one of patient or request');

export type Scenario = z.infer<typeof scenarioSchema>;

const scenarioFile = z.union([scenarioSchema, z.object({ description: z.string().optional(), scenarios: z.array(scenarioSchema).min(1) }).strict()]);

export interface LoadedScenario {
  readonly file: string;
  readonly scenario: Scenario;
}

export function loadScenarios(dir: string): { scenarios: LoadedScenario[]; problems: FileProblem[] } {
  const { files, problems } = readJsonFiles(dir, 'rules/tests');
  const scenarios: LoadedScenario[] = [];
  for (const f of files) {
    const parsed = scenarioFile.safeParse(f.json);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => ({ file: f.file, path: jsonPath(i.path as PropertyKey[]), message: i.message })));
      continue;
    }
    for (const scenario of 'scenarios' in parsed.data ? parsed.data.scenarios : [parsed.data]) scenarios.push({ file: f.file, scenario });
  }
  return { scenarios, problems };
}

export interface ScenarioResult {
  readonly name: string;
  readonly file: string;
  readonly passed: boolean;
  readonly failures: string[];
  readonly cards: Card[];
}

export async function runScenario(loaded: LoadedScenario, rules: RuleRuntime<PainKnowledge>, store: Store): Promise<ScenarioResult> {
  const { scenario, file } = loaded;
  const failures: string[] = [];
  const service = findService(scenario.service);
  if (!service) return { name: scenario.name, file, passed: false, failures: [`unknown service '${scenario.service}'`], cards: [] };
  const now = new Date(scenario.now);
  const body = scenario.request ?? hookRequestFor(service.definition.hook, scenario.patient!, now);
  let cards: Card[] = [];
  try {
    const outcome = await runHook(service, body, { rules, store, prefetch: { timeoutMs: 1000, maxPages: 1 }, cardTtlMs: 60_000, now: () => now }, { debug: false });
    cards = outcome.response.cards;
  } catch (e) {
    return { name: scenario.name, file, passed: false, failures: [`the hook call failed: ${(e as Error).message}`], cards };
  }
  const ruleOf = (c: Card) => c.extension[PROVENANCE_EXTENSION].ruleId;
  const fired = cards.map(ruleOf);
  const firedList = fired.length ? fired.join(', ') : 'no cards';
  for (const id of scenario.expect.fires) if (!fired.includes(id)) failures.push(`expected rule '${id}' to fire; got ${firedList}`);
  for (const id of scenario.expect.doesNotFire) if (fired.includes(id)) failures.push(`rule '${id}' fired but must not`);
  if (scenario.expect.cardCount !== undefined && cards.length !== scenario.expect.cardCount) {
    failures.push(`expected ${scenario.expect.cardCount} card(s); got ${cards.length} (${firedList})`);
  }
  for (const exp of scenario.expect.cards) {
    const card = cards.find((c) => ruleOf(c) === exp.rule);
    if (!card) {
      failures.push(`expected a card from rule '${exp.rule}'; got ${firedList}`);
      continue;
    }
    const where = `card '${exp.rule}'`;
    if (exp.indicator && card.indicator !== exp.indicator) failures.push(`${where}: indicator\n    expected: ${exp.indicator}\n    actual:   ${card.indicator}`);
    for (const t of exp.summaryIncludes ?? []) if (!card.summary.includes(t)) failures.push(`${where}: summary should include "${t}"\n    actual: ${card.summary}`);
    for (const t of exp.detailIncludes ?? []) if (!(card.detail ?? '').includes(t)) failures.push(`${where}: detail should include "${t}"\n    actual: ${excerpt(card.detail)}`);
    for (const t of exp.detailExcludes ?? []) if ((card.detail ?? '').includes(t)) failures.push(`${where}: detail must not include "${t}"`);
    if (exp.suggestionActions) {
      const actions = (card.suggestions ?? []).flatMap((s) => (s.actions ?? []).map((a) => a.type));
      for (const a of exp.suggestionActions) if (!actions.includes(a)) failures.push(`${where}: expected a suggestion with a '${a}' action; actions: ${actions.join(', ') || 'none'}`);
    }
    if (exp.overrideReasons) {
      const codes = (card.overrideReasons ?? []).map((r) => r.code);
      for (const code of exp.overrideReasons) if (!codes.includes(code)) failures.push(`${where}: expected override reason '${code}'; offered: ${codes.join(', ') || 'none'}`);
    }
    const values = card.extension[PROVENANCE_EXTENSION].values ?? {};
    for (const [name, expected] of Object.entries(exp.values ?? {})) {
      if (JSON.stringify(values[name]) !== JSON.stringify(expected)) {
        failures.push(`${where}: value ${name}\n    expected: ${JSON.stringify(expected)}\n    actual:   ${JSON.stringify(values[name])}`);
      }
    }
  }
  return { name: scenario.name, file, passed: failures.length === 0, failures, cards };
}

function excerpt(text: string | undefined): string {
  if (!text) return '(no detail)';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
