import { z } from 'zod';
import { knowledgeTableSchema } from '../../knowledge/table.js';

/**
 * Goal Attainment Scaling (rules/knowledge/gas-goals.json): how the HL7
 * Person-Centered Outcomes IG represents a GAS goal and its scores (pinned
 * version, extension URL, LOINC codes), the number each answer code stands
 * for, the Kiresuk-Sherman ρ, the weighting rule and the goal templates the
 * SMART app offers.
 */
const coding = z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().min(1) }).strict();
const RATERS = ['baseline', 'practitioner', 'patient', 'caregiver'] as const;
export type Rater = (typeof RATERS)[number];

const template = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    kind: z.enum(['pain', 'goals-of-care']),
    title: z.string().min(1),
    prompt: z.string().min(1),
    levels: z.object({ '-2': z.string().min(1), '-1': z.string().min(1), '0': z.string().min(1), '1': z.string().min(1), '2': z.string().min(1) }).strict(),
  })
  .strict();

const payload = z
  .object({
    ig: z.object({ name: z.string().min(1), canonical: z.string().url(), pinned: z.string().min(1) }).strict(),
    extensionUrl: z.string().url(),
    goalProfile: z.string().url(),
    scoreProfile: z.string().url(),
    targetMeasure: coding,
    scoreCodes: z.array(coding.extend({ rater: z.enum(RATERS) }).strict()).min(1),
    levels: z.array(coding.extend({ value: z.number().int().min(-2).max(2) }).strict()).length(5),
    rho: z.number().min(0).lt(1),
    weighting: z.enum(['equal', 'priority']),
    priorityWeights: z.record(z.string(), z.number().positive()),
    goalsOfCareCategory: coding,
    templates: z.array(template),
    verified: z.string().min(1),
  })
  .strict()
  .superRefine((data, ctx) => {
    const values = new Set(data.levels.map((l) => l.value));
    if (values.size !== 5) ctx.addIssue({ code: 'custom', path: ['levels'], message: 'the five levels must stand for -2, -1, 0, +1 and +2, each once' });
    for (const rater of ['baseline', 'practitioner', 'patient'] as const) {
      if (!data.scoreCodes.some((c) => c.rater === rater)) ctx.addIssue({ code: 'custom', path: ['scoreCodes'], message: `no score code for the ${rater}` });
    }
  });

export type GasTable = z.infer<typeof payload>;
export type GasTemplate = z.infer<typeof template>;
export const parseGasTable = (json: unknown) => knowledgeTableSchema(payload).parse(json);
