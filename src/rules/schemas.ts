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

const conditionNode: z.ZodType<ConditionNode> = z.lazy(() =>
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

const topLevelCondition = z.union([
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

const ruleDefinition = z
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
        .strict()
        .optional(),
      /** A ServiceRequest for the patient (a test to order, such as a genotype), rendered as a draft order. */
      serviceRequest: z
        .object({
          code: z.object({ system: templateString.min(1), code: templateString.min(1), display: templateString.min(1) }).strict(),
          /** The order's name as the prescriber sees it ("CYP2D6 genotype test"); the code's display when absent. */
          text: templateString.min(1).optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .refine((a) => (a.medicationRequest === undefined) !== (a.serviceRequest === undefined), {
      message: 'a create action needs exactly one of medicationRequest or serviceRequest',
    }),
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

/** Built-in json-rules-engine operators (json-rules-engine 7 engine-default-operators). */
export const OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;

export interface LoadedRule {
  readonly file: string;
  /** Position in the file's `rules` array; undefined when the file is a single rule. */
  readonly index?: number;
  readonly definition: RuleDefinition;
}

export interface LoadedTemplate {
  readonly file: string;
  readonly template: CardTemplate;
}

export function templateTexts(t: CardTemplate): { field: string; text: string }[] {
  const out: { field: string; text: string }[] = [
    { field: 'indicator', text: t.indicator },
    { field: 'summary', text: t.summary },
    { field: 'source.label', text: t.source.label },
  ];
  if (t.detail) out.push({ field: 'detail', text: t.detail });
  t.suggestions?.forEach((s, i) => {
    out.push({ field: `suggestions[${i}].label`, text: s.label });
    s.actions.forEach((a, j) => {
      const at = `suggestions[${i}].actions[${j}]`;
      out.push({ field: `${at}.description`, text: a.description });
      if (a.type === 'delete') out.push({ field: `${at}.resourceId`, text: a.resourceId });
      else if (a.medicationRequest) {
        const m = a.medicationRequest;
        out.push(
          { field: `${at}.medicationRequest.medication.system`, text: m.medication.system },
          { field: `${at}.medicationRequest.medication.code`, text: m.medication.code },
          { field: `${at}.medicationRequest.medication.display`, text: m.medication.display },
        );
        if (m.sig) out.push({ field: `${at}.medicationRequest.sig`, text: m.sig });
      } else if (a.serviceRequest) {
        const r = a.serviceRequest;
        out.push(
          { field: `${at}.serviceRequest.code.system`, text: r.code.system },
          { field: `${at}.serviceRequest.code.code`, text: r.code.code },
          { field: `${at}.serviceRequest.code.display`, text: r.code.display },
        );
        if (r.text) out.push({ field: `${at}.serviceRequest.text`, text: r.text });
      }
    });
  });
  t.links?.forEach((l, i) => {
    out.push({ field: `links[${i}].label`, text: l.label }, { field: `links[${i}].url`, text: l.url });
    if (l.appContext) out.push({ field: `links[${i}].appContext`, text: l.appContext });
  });
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
