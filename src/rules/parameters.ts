import { z } from 'zod';
import { mapConditions, walkConditions } from './conditions.js';
import type { ConditionNode } from './schemas.js';

/**
 * Named parameters (rules/parameters.json): numbers that several rules and
 * card texts share, such as a dose threshold, defined once with their unit and
 * source. A rule condition names one as its value (`"value": {"parameter":
 * "mme.high"}`), a card text as `{{parameters.mme.high}}`; changing the level
 * is one edit, and a half-edited set cannot exist.
 */
const parameterName = z.string().regex(/^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)*$/, 'a dotted camelCase name like mme.high');

const parameterDefinition = z
  .object({
    value: z.union([z.number().finite(), z.string().min(1)]),
    /** Unit of a number, checked against the unit of the fact it is compared with (e.g. MME/day, days, years). */
    unit: z.string().min(1).optional(),
    description: z.string().min(1),
    /** Where the value comes from: a guideline and its version, or "local decision" with who decided. */
    source: z.string().min(1),
  })
  .strict();

export const parametersFile = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a version like 1.0.0'),
    parameters: z.record(parameterName, parameterDefinition),
  })
  .strict();

export type Parameter = z.infer<typeof parameterDefinition>;
export type Parameters = ReadonlyMap<string, Parameter>;

export interface ParameterRef {
  readonly parameter: string;
}

export function isParameterRef(value: unknown): value is ParameterRef {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { parameter?: unknown }).parameter === 'string' && Object.keys(value).length === 1;
}

/** The condition tree with every parameter reference replaced by its value (what the gate and json-rules-engine see). */
export function withParameterValues(node: ConditionNode, parameters: Parameters): ConditionNode {
  return mapConditions(node, (leaf) => ('fact' in leaf && isParameterRef(leaf.value) ? { ...leaf, value: parameters.get(leaf.value.parameter)?.value } : leaf));
}

/** Names of the parameters a condition tree refers to (named conditions must be inlined first). */
export function parametersOf(node: ConditionNode): Set<string> {
  const out = new Set<string>();
  walkConditions(node, (n) => {
    if ('fact' in n && isParameterRef(n.value)) out.add(n.value.parameter);
  });
  return out;
}

/** Problems with a condition's parameter reference: unknown name, a text where a number is needed, or a unit that differs from the fact's. */
export function parameterRefProblems(
  ref: ParameterRef,
  fact: { readonly name: string; readonly unit?: string } | undefined,
  numeric: boolean,
  parameters: Parameters,
): string[] {
  const parameter = parameters.get(ref.parameter);
  if (!parameter) return [`unknown parameter '${ref.parameter}' (see rules/parameters.json; known: ${[...parameters.keys()].join(', ') || 'none'})`];
  const problems: string[] = [];
  if (numeric && typeof parameter.value !== 'number') problems.push(`parameter '${ref.parameter}' is not a number`);
  if (fact?.unit !== undefined && parameter.unit !== fact.unit) {
    problems.push(`parameter '${ref.parameter}' is in ${parameter.unit ?? 'no unit'}, but fact '${fact.name}' is in ${fact.unit}`);
  }
  return problems;
}
