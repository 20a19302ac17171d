import fc from 'fast-check';
import { Engine, Fact, type TopLevelCondition } from 'json-rules-engine';
import { describe, expect, test } from 'vitest';
import { ruleGate } from '../../src/rules/compiled.js';
import type { ConditionNode } from '../../src/rules/schemas.js';

/**
 * The pre-check that spares json-rules-engine the rules that cannot fire must
 * never hide a rule the engine would fire: for generated conditions and fact
 * values, a closed gate means the engine says no; with only simple conditions
 * the gate and the engine agree exactly.
 */
const FACTS = ['a', 'b', 'c'] as const;
const OPERATORS = ['equal', 'notEqual', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive', 'in', 'notIn'] as const;
const scalar = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('UM', 'PM', '2', '-1', 'abc', '', '1e3'), fc.boolean(), fc.constant(null), fc.double({ noDefaultInfinity: false }));

const simple: fc.Arbitrary<ConditionNode> = fc
  .record({ fact: fc.constantFrom(...FACTS), operator: fc.constantFrom(...OPERATORS), value: scalar })
  .chain((c): fc.Arbitrary<ConditionNode> =>
    c.operator === 'in' || c.operator === 'notIn' ? fc.array(scalar, { minLength: 1, maxLength: 3 }).map((value) => ({ ...c, value }) as ConditionNode) : fc.constant(c as ConditionNode),
  );
const nested = fc.oneof(
  simple,
  fc.array(simple, { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
  fc.array(simple, { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
  simple.map((not) => ({ not })),
);
const factValues = fc.record({ a: scalar, b: scalar, c: scalar });

async function engineFires(conditions: ConditionNode, facts: Record<string, unknown>): Promise<boolean> {
  const engine = new Engine([], { allowUndefinedFacts: false });
  engine.addRule({ name: 'r', conditions: conditions as TopLevelCondition, event: { type: 'r' } });
  const runtimeFacts = Object.fromEntries(FACTS.map((f) => [f, new Fact(f, facts[f] ?? null, { cache: false })]));
  const { results } = await engine.run(runtimeFacts);
  return results.length === 1;
}

const hasOnlyAll = (node: ConditionNode): boolean => ('all' in node ? node.all.every(hasOnlyAll) : !('any' in node) && !('not' in node));

describe('rule gate', () => {
  test('a closed gate always means json-rules-engine would not fire the rule', async () => {
    const seen = { fired: 0, closed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(nested, { minLength: 1, maxLength: 4 }), factValues, async (all, facts) => {
        const conditions: ConditionNode = { all };
        const fires = await engineFires(conditions, facts);
        const open = ruleGate(conditions)(facts);
        if (fires) seen.fired++;
        if (!open) seen.closed++;
        if (!open) expect(fires).toBe(false);
        if (hasOnlyAll(conditions)) expect(open).toBe(fires);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
    );
    // Both outcomes were exercised, not only the trivial one.
    expect(seen.fired).toBeGreaterThan(0);
    expect(seen.closed).toBeGreaterThan(0);
  });

  test('rules without a top-level all (any, not) always reach the engine', () => {
    expect(ruleGate({ any: [{ fact: 'a', operator: 'equal', value: 1 }] })({ a: 2 })).toBe(true);
    expect(ruleGate({ not: { fact: 'a', operator: 'equal', value: 1 } } as ConditionNode)({ a: 1 })).toBe(true);
  });
});
