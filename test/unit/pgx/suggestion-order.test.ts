import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { painDomain } from '../../../src/pipeline/pain-domain.js';
import { loadConfig } from '../../../src/config.js';
import type { Card } from '../../../src/cds/types.js';
import { RuleRuntime } from '../../../src/rules/runtime.js';
import type { CompactPatient } from '../../../src/pipeline/scenarios/compact-patient.js';
import { runScenario, scenarioSchema } from '../../../src/pipeline/scenarios/scenario.js';
import { services } from '../../../src/services/index.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { REPO_ROOT } from '../../helpers/service.js';

/**
 * CDS Hooks 2.0 applies a suggestion's actions in order. A replacement must
 * create the new order before it deletes the draft, so that a client applying
 * only the first action, or stopping part way, never ends with the draft
 * deleted and nothing created (issue 14). Children never get a one-click adult
 * tablet (issue 13).
 */
const rulesDir = path.join(REPO_ROOT, 'rules');
const cardsDir = path.join(REPO_ROOT, 'cards');
const config = loadConfig({ CDS_AUTH: 'off', RULES_DIR: rulesDir, CARDS_DIR: cardsDir });
const runtime = RuleRuntime.load({ rulesDir, cardsDir }, painDomain(config), services.map((s) => s.definition.id));
const store = openSqliteStore({ dataDir: ':memory:' });
afterAll(() => store.close());

const CODEINE = { id: 'draft-codeine', rxnorm: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet', dose: 1, frequency: 1, period: 6, periodUnit: 'h' as const };
const TRAMADOL = { id: 'draft-tramadol', rxnorm: '835603', display: 'Tramadol Hydrochloride 50 MG Oral Tablet', dose: 1, frequency: 1, period: 6, periodUnit: 'h' as const };

async function cardsFor(patient: CompactPatient): Promise<Card[]> {
  const scenario = scenarioSchema.parse({ name: 'test', service: 'opioid-order-select', patient, expect: {} });
  const result = await runScenario({ file: 'test', scenario }, runtime, store);
  return result.cards;
}

/** Every prefix of a suggestion's actions that deletes something has created something first. */
function safeWhenAppliedInOrder(actions: readonly { type: string }[]): boolean {
  let created = false;
  for (const a of actions) {
    if (a.type === 'create' || a.type === 'update') created = true;
    if (a.type === 'delete' && !created) return false;
  }
  return true;
}

describe('replacement suggestions put create before delete', () => {
  const templates = fs.readdirSync(cardsDir).filter((f) => f.endsWith('.json'));
  test.each(templates)('template %s', (file) => {
    const t = JSON.parse(fs.readFileSync(path.join(cardsDir, file), 'utf8')) as { suggestions?: { actions: { type: string }[] }[] };
    for (const s of t.suggestions ?? []) expect(safeWhenAppliedInOrder(s.actions)).toBe(true);
  });

  const adults: [string, CompactPatient][] = [
    ['codeine, poor metabolizer', { age: 45, cyp2d6: '*4/*4', drafts: [CODEINE] }],
    ['codeine, ultrarapid metabolizer', { age: 45, cyp2d6: '*1/*1x2', drafts: [CODEINE] }],
    ['tramadol, ultrarapid metabolizer', { age: 45, cyp2d6: '*1/*1x2', drafts: [TRAMADOL] }],
  ];
  test.each(adults)('the issued cards: %s', async (_name, patient) => {
    const cards = await cardsFor(patient);
    const suggestions = cards.flatMap((c) => c.suggestions ?? []);
    expect(suggestions.length).toBeGreaterThan(0);
    for (const s of suggestions) {
      const types = (s.actions ?? []).map((a) => a.type);
      expect(types).toEqual(['create', 'delete']);
      expect(safeWhenAppliedInOrder(s.actions ?? [])).toBe(true);
    }
  });
});

describe('children get no one-click adult tablet', () => {
  const children: [string, CompactPatient][] = [
    ['8-year-old, codeine, no genotype', { age: 8, drafts: [CODEINE] }],
    ['8-year-old poor metabolizer, codeine', { age: 8, cyp2d6: '*4/*4', drafts: [CODEINE] }],
    ['16-year-old ultrarapid metabolizer, tramadol', { age: 16, cyp2d6: '*1/*1x2', drafts: [TRAMADOL] }],
    ['15-year-old after tonsillectomy, tramadol', { age: 15, procedures: [{ system: 'http://snomed.info/sct', code: '173422009', daysAgo: 2 }], drafts: [TRAMADOL] }],
    ['15-year-old with obesity, codeine', { age: 15, conditions: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E66.9' }], drafts: [CODEINE] }],
  ];
  test.each(children)('%s', async (_name, patient) => {
    const cards = await cardsFor(patient);
    expect(cards.length).toBeGreaterThan(0);
    const creates = cards.flatMap((c) => (c.suggestions ?? []).flatMap((s) => (s.actions ?? []).filter((a) => a.type === 'create')));
    expect(creates).toEqual([]);
    for (const c of cards) for (const s of c.suggestions ?? []) expect(safeWhenAppliedInOrder(s.actions ?? [])).toBe(true);
  });
});
