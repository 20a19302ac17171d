import { z } from 'zod';

/** The what-if request (the command's FILE.json). */
export const twinInputSchema = z
  .object({
    drug: z.string().min(1),
    doseMg: z.number({ error: 'must be a number (mg of the salt on the tablet)' }).finite().positive('must be more than 0 mg'),
    intervalHours: z.number({ error: 'must be a number of hours' }).min(1, 'must be at least 1 hour').max(48, 'must be at most 48 hours'),
    days: z.number({ error: 'must be a number of days' }).min(1, 'must be at least 1 day').max(28, 'must be at most 28 days'),
    weightKg: z.number({ error: (issue) => (issue.input === undefined ? 'is required (kg): the models scale clearance and volume with weight' : 'must be a number of kg') }).min(30, 'must be at least 30 kg (adult models)').max(250, 'must be at most 250 kg'),
    cyp2d6: z
      .union([
        z.object({ activityScore: z.number().min(0).max(6) }).strict(),
        z.object({ diplotype: z.string().min(3) }).strict(),
        z.object({ phenotype: z.string().min(2) }).strict(),
      ], { error: 'must be one of {"activityScore": n}, {"diplotype": "*1/*4"} or {"phenotype": "PM"}' })
      .optional(),
    inhibitors: z.array(z.string().min(1)).max(20).default([]),
    /** Accepted and echoed, never applied: no cited model has these covariates. */
    eGFR: z.number().min(0).max(200).optional(),
    hepaticImpairment: z.enum(['none', 'mild', 'moderate', 'severe']).optional(),
    outputEveryHours: z.number().min(0.1).max(6).default(0.5),
  })
  .strict();

export type TwinInput = z.infer<typeof twinInputSchema>;

/** One plain line per problem: `field: message`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const field = i.path.join('.') || '(top level)';
    if (i.code === 'unrecognized_keys') return `${field}: unknown field(s) ${i.keys.join(', ')}`;
    // zod's own text for a missing field ("expected string, received undefined"); a value of the wrong type keeps its message.
    if (i.code === 'invalid_type' && /received undefined$/.test(i.message)) return `${field}: is required`;
    return `${field}: ${i.message}`;
  });
}
