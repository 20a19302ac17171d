import { walkConditions } from './conditions.js';
import type { ConditionNode } from './schemas.js';

/**
 * A rule's conditions compiled once per load into a plain predicate over the
 * facts of a call: what json-rules-engine decides, without its per-run
 * almanac, promises and result objects. The engine stays the reference: it
 * still runs every rule for `?debug=rules` and `rules:explain` traces, and a
 * property test (test/rules/compiled.test.ts) checks that both decide alike
 * on generated facts. Semantics follow json-rules-engine 7 (pinned):
 * `all` of nothing is true, and so is `any` of nothing; each operator checks
 * the fact value as the engine's does (numbers for the comparisons, arrays for
 * contains); a `{ "fact": name }` value compares with another fact.
 * Named conditions and parameters are resolved before compiling.
 */
export type Predicate = (facts: Readonly<Record<string, unknown>>) => boolean;

const isNumber = (v: unknown) => Number.parseFloat(v as string).toString() !== 'NaN';

const OPERATORS: Readonly<Record<string, (a: unknown, b: unknown) => boolean>> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => (b as unknown[]).indexOf(a) > -1,
  notIn: (a, b) => (b as unknown[]).indexOf(a) === -1,
  contains: (a, b) => Array.isArray(a) && a.indexOf(b) > -1,
  doesNotContain: (a, b) => Array.isArray(a) && a.indexOf(b) === -1,
  lessThan: (a, b) => isNumber(a) && (a as number) < (b as number),
  lessThanInclusive: (a, b) => isNumber(a) && (a as number) <= (b as number),
  greaterThan: (a, b) => isNumber(a) && (a as number) > (b as number),
  greaterThanInclusive: (a, b) => isNumber(a) && (a as number) >= (b as number),
};

/** The compiled predicate, or undefined when the tree uses what only the engine does (a `path`, `params`, a named condition left in). */
export function compileConditions(node: ConditionNode): Predicate | undefined {
  if ('all' in node) {
    const parts = node.all.map(compileConditions);
    if (parts.some((p) => p === undefined)) return undefined;
    const ps = parts as Predicate[];
    return (facts) => ps.every((p) => p(facts));
  }
  if ('any' in node) {
    const parts = node.any.map(compileConditions);
    if (parts.some((p) => p === undefined)) return undefined;
    const ps = parts as Predicate[];
    // json-rules-engine: `any` of no condition is true.
    return ps.length === 0 ? () => true : (facts) => ps.some((p) => p(facts));
  }
  if ('not' in node) {
    const inner = compileConditions(node.not);
    return inner && ((facts) => !inner(facts));
  }
  if ('condition' in node || node.path !== undefined || node.params !== undefined) return undefined;
  const operator = OPERATORS[node.operator];
  if (!operator) return undefined;
  const { fact, value } = node;
  const valueFact = value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { fact?: unknown }).fact === 'string' ? (value as { fact: string }).fact : undefined;
  if (valueFact !== undefined) return (facts) => operator(factValue(facts, fact), factValue(facts, valueFact));
  return (facts) => operator(factValue(facts, fact), value);
}

/** A fact's value as the engine sees it: null when unknown; a fact that was never computed is a defect, not a silent null. */
function factValue(facts: Readonly<Record<string, unknown>>, name: string): unknown {
  if (!(name in facts)) throw new Error(`fact '${name}' was not computed`);
  return facts[name] ?? null;
}

/**
 * A necessary condition of a rule, checked before json-rules-engine runs:
 * the simple conditions of its top-level `all` (fact, operator, literal
 * value, no path). If one of them is false the rule cannot fire, so the engine
 * is not asked to evaluate it. The operators replicate json-rules-engine's
 * own (including its number check on the fact value); the engine still
 * evaluates every rule whose gate passes and decides.
 */
export type Gate = (facts: Readonly<Record<string, unknown>>) => boolean;

export function ruleGate(conditions: ConditionNode): Gate {
  const checks: { fact: string; test: (a: unknown) => boolean }[] = [];
  // Only conditions reached through `all` alone are necessary: `any` and `not` subtrees are skipped.
  walkConditions(conditions, (node) => {
    if ('any' in node || 'not' in node) return false;
    if (!('fact' in node) || node.path !== undefined || node.params !== undefined) return;
    const operator = OPERATORS[node.operator];
    const value = node.value as unknown;
    if (!operator || (value !== null && typeof value === 'object' && !Array.isArray(value))) return;
    checks.push({ fact: node.fact, test: (a) => operator(a, value) });
  });
  return (facts) => checks.every((c) => c.test(facts[c.fact] ?? null));
}
