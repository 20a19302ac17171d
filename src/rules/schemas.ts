import { z } from 'zod';

/**
 * The formats informaticists edit, declared once: the loader validates with
 * these, and `npm run rules:schema` writes them out as JSON Schema for editors
 * (rules/schema/*.schema.json).
 */
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'a version like 1.0.0');
const ruleId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

/** A json-rules-engine condition tree; fact and operator names are checked by the loader. */
export type ConditionNode =
  | { all: ConditionNode[]; name?: string; priority?: number }
  | { any: ConditionNode[]; name?: string; priority?: number }
  | { not: ConditionNode; name?: string; priority?: number }
  | { condition: string; name?: string; priority?: number }
  | { fact: string; operator: string; value: unknown; path?: string; params?: Record<string, unknown>; name?: string; priority?: number };

export const conditionNode: z.ZodType<ConditionNode> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(conditionNode), name: z.string().optional(), priority: z.number().int().positive().optional() }).strict(),
    z.object({ any: z.array(conditionNode), name: z.string().optional(), priority: z.number().int().positive().optional() }).strict(),
    z.object({ not: conditionNode, name: z.string().optional(), priority: z.number().int().positive().optional() }).strict(),
    z.object({ condition: z.string().min(1), name: z.string().optional(), priority: z.number().int().positive().optional() }).strict(),
    z
      .object({
        fact: z.string().min(1),
        operator: z.string().min(1),
        value: z.unknown(),
        path: z.string().optional(),
        params: z.record(z.string(), z.unknown()).optional(),
        name: z.string().optional(),
        priority: z.number().int().positive().optional(),
      })
      .strict(),
  ]),
);

export const topLevelCondition = z.union([
  z.object({ all: z.array(conditionNode) }).strict(),
  z.object({ any: z.array(conditionNode) }).strict(),
  z.object({ not: conditionNode }).strict(),
  z.object({ condition: z.string().min(1) }).strict(),
]);

export const citation = z
  .object({
    guideline: z.string().min(1),
    version: z.string().min(1),
    table: z.string().optional(),
    strength: z.string().optional(),
    url: z.string().url().optional(),
  })
  .strict();

export const ruleDefinition = z
  .object({
    $schema: z.string().optional(),
    id: ruleId,
    version: semver,
    title: z.string().min(1),
    description: z.string().optional(),
    services: z.array(z.string().min(1)).min(1),
    /** `order`: evaluated once per order under consideration (order.* facts); `patient`: once per call. */
    scope: z.enum(['order', 'patient']),
    citation,
    priority: z.number().int().min(1).max(100).default(10),
    enabled: z.boolean().default(true),
    /** Rule ids this rule replaces when both fire for the same subject (no card says the same thing twice). */
    supersedes: z.array(ruleId).optional(),
    conditions: topLevelCondition,
    event: z
      .object({
        card: z.string().min(1),
        params: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
  })
  .strict();

export const ruleFile = z.union([
  ruleDefinition,
  z.object({ $schema: z.string().optional(), description: z.string().optional(), rules: z.array(ruleDefinition).min(1) }).strict(),
]);

export const namedConditionsFile = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    namedConditions: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'a camelCase name'), topLevelCondition),
  })
  .strict();

const templateString = z.string();

const coding = z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().min(1) }).strict();

const actionTemplate = z.discriminatedUnion('type', [
  z.object({ type: z.literal('delete'), description: templateString.min(1), resourceId: templateString.min(1) }).strict(),
  z
    .object({
      type: z.literal('create'),
      description: templateString.min(1),
      /** A MedicationRequest for the patient, built from the draft being replaced (or from scratch). */
      medicationRequest: z
        .object({
          medication: z.object({ system: templateString, code: templateString, display: templateString }).strict(),
          sig: templateString.optional(),
        })
        .strict(),
    })
    .strict(),
]);

export const cardTemplate = z
  .object({
    $schema: z.string().optional(),
    id: ruleId,
    version: semver,
    description: z.string().optional(),
    indicator: z.union([z.enum(['info', 'warning', 'critical']), z.string().regex(/^\{\{[^}]+\}\}$/, 'info, warning, critical or one placeholder')]),
    summary: templateString.min(1),
    detail: templateString.optional(),
    source: z
      .object({ label: templateString.min(1), url: z.string().url().optional(), topic: coding.optional() })
      .strict(),
    suggestions: z
      .array(z.object({ label: templateString.min(1), isRecommended: z.boolean().optional(), actions: z.array(actionTemplate).min(1) }).strict())
      .optional(),
    selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
    /** Codes from rules/knowledge/override-reasons.json. */
    overrideReasons: z.array(z.string().min(1)).optional(),
    /** Facts always recorded in the card's provenance extension, besides those the rule and template use. */
    provenance: z.array(z.string().min(1)).optional(),
    links: z
      .array(
        z
          .object({ label: templateString.min(1), url: templateString.min(1), type: z.enum(['absolute', 'smart']), appContext: templateString.optional() })
          .strict(),
      )
      .optional(),
  })
  .strict();

export type RuleDefinition = z.infer<typeof ruleDefinition>;
export type CardTemplate = z.infer<typeof cardTemplate>;
export type ActionTemplate = z.infer<typeof actionTemplate>;
