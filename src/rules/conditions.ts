import type { ConditionNode } from './schemas.js';

/**
 * The one walker of json-rules-engine condition trees (`all`, `any`, `not`,
 * named `condition` references, and fact conditions at the leaves), shared by
 * the loader's checks, the compile step (inlining named conditions, replacing
 * parameters), the gate and `rules:explain`.
 */
export type FactCondition = Extract<ConditionNode, { fact: string }>;
export type NamedReference = Extract<ConditionNode, { condition: string }>;

/** The nodes directly under `node`, with the JSON path step that leads to each. */
function childrenOf(node: ConditionNode): { readonly node: ConditionNode; readonly step: string }[] {
  if ('all' in node) return node.all.map((c, i) => ({ node: c, step: `.all[${i}]` }));
  if ('any' in node) return node.any.map((c, i) => ({ node: c, step: `.any[${i}]` }));
  if ('not' in node) return [{ node: node.not, step: '.not' }];
  return [];
}

/**
 * Visits every node depth first, parents before children, with its JSON path
 * (`at` + steps) and depth; when `visit` returns false the node's children are
 * skipped.
 */
export function walkConditions(node: ConditionNode, visit: (node: ConditionNode, path: string, depth: number) => boolean | void, at = '', depth = 0): void {
  if (visit(node, at, depth) === false) return;
  for (const child of childrenOf(node)) walkConditions(child.node, visit, `${at}${child.step}`, depth + 1);
}

/** A copy of the tree in which every leaf (a fact condition or a named reference) is replaced by what `leaf` returns. */
export function mapConditions(node: ConditionNode, leaf: (node: FactCondition | NamedReference) => ConditionNode): ConditionNode {
  if ('all' in node) return { ...node, all: node.all.map((c) => mapConditions(c, leaf)) };
  if ('any' in node) return { ...node, any: node.any.map((c) => mapConditions(c, leaf)) };
  if ('not' in node) return { ...node, not: mapConditions(node.not, leaf) };
  return leaf(node);
}
