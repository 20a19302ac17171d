import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { FACT_CATALOG } from '../../../src/clinical/facts/catalog.js';
import { computePainFacts } from '../../../src/clinical/facts/index.js';
import { loadScenarios } from '../../../src/pipeline/scenarios/scenario.js';
import { contextFor } from '../../helpers/hooks.js';
import { loadKnowledge } from '../../helpers/knowledge.js';
import { REPO_ROOT } from '../../helpers/service.js';

/**
 * The fact catalog is the one source of fact names: for every patient of the
 * rule scenarios, the producers compute exactly the catalog's facts (no
 * missing one, no extra one) and never leave a value undefined (unknown is
 * null).
 */
const names = (scope: 'patient' | 'order') => FACT_CATALOG.filter((f) => f.scope === scope).map((f) => f.name).sort();
const knowledge = loadKnowledge();
const { scenarios } = loadScenarios(path.join(REPO_ROOT, 'rules', 'tests'));
const patients = scenarios.filter((s) => s.scenario.patient).map((s) => [s.scenario.name, s.scenario.patient!] as const);

describe('computed facts equal the catalog', () => {
  test('there are scenario patients to check', () => {
    expect(patients.length).toBeGreaterThan(100);
  });

  test.each(patients)('%s', (_name, patient) => {
    const facts = computePainFacts(contextFor(patient), knowledge);
    expect(Object.keys(facts.patient).sort()).toEqual(names('patient'));
    expect(Object.entries(facts.patient).filter(([, v]) => v === undefined).map(([k]) => k)).toEqual([]);
    for (const order of facts.orders) {
      expect(Object.keys(order.facts).sort()).toEqual(names('order'));
      expect(Object.entries(order.facts).filter(([, v]) => v === undefined).map(([k]) => k)).toEqual([]);
    }
  });
});
