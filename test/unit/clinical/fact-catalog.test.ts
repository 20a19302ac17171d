import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { FACT_CATALOG } from '../../../src/clinical/facts/catalog.js';
import { computePainFacts, ON_DEMAND_FAMILIES } from '../../../src/clinical/facts/index.js';
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

/**
 * A call computes only the on-demand families its service's rules read: the facts left out when no rule reads them are
 * exactly the ones each family's predicate claims, and every other fact is still there with the same value.
 */
describe('on-demand fact families', () => {
  const claimed = (name: string) => Object.values(ON_DEMAND_FAMILIES).some((family) => family(name));

  test.each(patients.slice(0, 40))('%s', (_name, patient) => {
    const all = computePainFacts(contextFor(patient), knowledge);
    const lean = computePainFacts(contextFor(patient), knowledge, new Set());
    const left = Object.keys(all.patient).filter((name) => !(name in lean.patient));
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((name) => !claimed(name))).toEqual([]);
    expect(Object.keys(all.patient).filter(claimed).sort()).toEqual(left.sort());
    for (const [name, value] of Object.entries(lean.patient)) expect(value, name).toEqual(all.patient[name as keyof typeof all.patient]);
    expect(lean.orders).toEqual(all.orders);
  });

  test('a family is computed as soon as one of its facts is read', () => {
    const patient = patients[0]![1];
    const withPro = computePainFacts(contextFor(patient), knowledge, new Set(['pro.due']));
    expect(Object.keys(withPro.patient).filter(ON_DEMAND_FAMILIES.pro).sort()).toEqual(names('patient').filter(ON_DEMAND_FAMILIES.pro));
    expect(Object.keys(withPro.patient).filter(ON_DEMAND_FAMILIES.goals)).toEqual([]);
  });
});
