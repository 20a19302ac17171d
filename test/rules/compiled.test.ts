import fc from 'fast-check';
import { Engine, Fact, type TopLevelCondition } from 'json-rules-engine';
import { describe, expect, test } from 'vitest';
import { FACT_CATALOG } from '../../src/clinical/facts/catalog.js';
import { compileConditions } from '../../src/rules/compiled.js';
import { mapConditions, walkConditions } from '../../src/rules/conditions.js';
import { withParameterValues } from '../../src/rules/parameters.js';
import type { ConditionNode } from '../../src/rules/schemas.js';
import { loadRuleRuntime } from '../helpers/knowledge.js';

/**
 * The compiled predicates decide exactly as json-rules-engine (the
 * reference, pinned at 7.3.1) on generated conditions and facts, and on every
 * rule of the repository's rule set with facts drawn from the values its
 * conditions name.
 */
async function engineFires(conditions: ConditionNode, facts: Record<string, unknown>, names: readonly string[]): Promise<boolean> {
  const engine = new Engine([], { allowUndefinedFacts: false });
  engine.addRule({ name: 'r', conditions: conditions as TopLevelCondition, event: { type: 'r' } });
  const { results } = await engine.run(Object.fromEntries(names.map((f) => [f, new Fact(f, facts[f] ?? null, { cache: false })])));
  return results.length === 1;
}

const FACTS = ['a', 'b', 'c'] as const;
const OPERATORS = ['equal', 'notEqual', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive', 'in', 'notIn', 'contains', 'doesNotContain'] as const;
const scalar = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('UM', 'PM', '2', '-1', 'abc', '', '1e3'), fc.boolean(), fc.constant(null), fc.double({ noDefaultInfinity: false }));
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
const leaf: fc.Arbitrary<ConditionNode> = fc
  .record({ fact: fc.constantFrom(...FACTS), operator: fc.constantFrom(...OPERATORS), value: fc.oneof(scalar, fc.constantFrom(...FACTS).map((fact) => ({ fact }))) })
  .chain((c): fc.Arbitrary<ConditionNode> =>
    c.operator === 'in' || c.operator === 'notIn' ? fc.array(scalar, { minLength: 0, maxLength: 3 }).map((v) => ({ ...c, value: v }) as ConditionNode) : fc.constant(c as ConditionNode),
  );
const tree: fc.Arbitrary<ConditionNode> = fc.letrec<{ node: ConditionNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('node'), { maxLength: 3 }).map((any) => ({ any })),
    tie('node').map((not) => ({ not })),
  ),
})).node;

describe('compiled predicates decide as json-rules-engine', () => {
  test('on generated conditions (all, any, not, empty lists, fact references, every operator) and fact values', async () => {
    let fired = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(tree, fc.record({ a: value, b: value, c: value }), async (node, facts) => {
        const conditions: ConditionNode = 'all' in node || 'any' in node || 'not' in node ? node : { all: [node] };
        const predicate = compileConditions(conditions)!;
        const engine = await engineFires(conditions, facts, FACTS);
        runs++;
        if (engine) fired++;
        expect(predicate(facts)).toBe(engine);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
    );
    expect(fired).toBeGreaterThan(runs * 0.05);
    expect(fired).toBeLessThan(runs * 0.95);
  });

  test('on every rule of the rule set, with facts drawn from the values its conditions name', async () => {
    const runtime = loadRuleRuntime();
    const examples = new Map(FACT_CATALOG.map((f) => [f.name, f.example]));
    let compared = 0;
    for (const { definition } of runtime.data.rules) {
      const conditions = withParameterValues(inline(definition.conditions as ConditionNode, runtime.data.namedConditions), runtime.data.parameters);
      const predicate = compileConditions(conditions);
      expect(predicate, definition.id).toBeDefined();
      const candidates = new Map<string, unknown[]>();
      walkConditions(conditions, (n) => {
        if (!('fact' in n)) return;
        const list = candidates.get(n.fact) ?? [examples.get(n.fact), null];
        list.push(...(Array.isArray(n.value) ? [...n.value, n.value] : [n.value]));
        if (typeof n.value === 'number') list.push(n.value - 1, n.value + 1);
        candidates.set(n.fact, list);
      });
      const names = [...candidates.keys()];
      await fc.assert(
        fc.asyncProperty(fc.record(Object.fromEntries(names.map((n) => [n, fc.constantFrom(...candidates.get(n)!)]))), async (facts) => {
          expect(predicate!(facts), definition.id).toBe(await engineFires(conditions, facts, names));
          compared++;
        }),
        { numRuns: 60 },
      );
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

/** Named conditions replaced by their definitions, as the rule layer does at load. */
function inline(node: ConditionNode, named: Readonly<Record<string, { condition: ConditionNode }>>): ConditionNode {
  return mapConditions(node, (leaf) => ('condition' in leaf ? inline(named[leaf.condition]!.condition, named) : leaf));
}
