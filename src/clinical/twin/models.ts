import { z } from 'zod';
import { knowledgeTableSchema, type KnowledgeTable } from '../../knowledge/table.js';

/**
 * The pharmacokinetic models of the what-if twin, as data (rules/knowledge/pk-models.json):
 * every number carries its source, whether it was read from that source (verified) or
 * derived from it (derivation), so the table and the command output can say where it came from.
 */
const parameter = z
  .object({
    value: z.number().finite(),
    unit: z.string().min(1),
    source: z.string().min(1),
    verified: z.boolean(),
    derivation: z.string().optional(),
    note: z.string().optional(),
  })
  .strict();

const disposition = {
  name: z.string().min(1),
  molarMass: z.number().positive(),
  clearance: parameter,
  volume: parameter,
  weightExponent: parameter,
};

const parentSchema = z.object({ ...disposition, bioavailability: parameter, ka: parameter }).strict();
const metaboliteSchema = z
  .object({ ...disposition, cyp2d6FractionAtReference: parameter, residualAtScore0: parameter, fractionReachingCirculation: parameter })
  .strict();

const range = z.object({ low: z.number().nonnegative(), high: z.number().positive(), unit: z.literal('ng/mL'), source: z.string().min(1) }).strict();
const cutOff = z.object({ value: z.number().positive(), source: z.string().min(1), note: z.string().min(1) }).strict();

const modelSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    version: z.string().min(1),
    drug: z.string().min(1),
    title: z.string().min(1),
    doseForm: z.object({ name: z.string().min(1), baseFraction: parameter }).strict(),
    doseLimits: z.object({ maxSingleMg: z.number().positive(), maxDailyMg: z.number().positive(), source: z.string().min(1) }).strict(),
    parent: parentSchema,
    metabolite: metaboliteSchema.optional(),
    /** Product name for the project's MME functions ({doseMg} is replaced). */
    productText: z.string().includes('{doseMg}'),
    exampleRegimen: z.object({ doseMg: z.number().positive(), intervalHours: z.number().positive(), source: z.string().min(1) }).strict(),
    /** Analgesic and toxic plasma ranges of the active moiety as the sources give them; null = the sources give none (said in `note`). */
    referenceRanges: z.object({ analgesic: range.nullable(), toxic: range.nullable(), note: z.string().min(1) }).strict(),
    /** What the model does not cover about kidney and liver function, in words, with sources. */
    renalHepatic: z.object({ renal: z.string().min(1), hepatic: z.string().min(1), sources: z.array(z.string().min(1)).min(1) }).strict(),
    limitations: z.array(z.string().min(1)).min(1),
  })
  .strict();

const pkModelsPayload = z
  .object({
    sources: z.record(z.string(), z.string().min(1)),
    cyp2d6: z
      .object({
        referenceActivityScore: z.number().positive(),
        formationMultiplier: z.string(),
        note: z.string(),
        phenotypeActivityScores: z.object({
          PM: z.object({ value: z.number().min(0), source: z.string(), note: z.string() }).strict(),
          IM: z.object({ value: z.number().min(0), source: z.string(), note: z.string() }).strict(),
          NM: z.object({ value: z.number().min(0), source: z.string(), note: z.string() }).strict(),
          UM: z.object({ value: z.number().min(0), source: z.string(), note: z.string() }).strict(),
        }),
      })
      .strict(),
    record: z
      .object({
        eGFR: z.object({ system: z.string().url(), codes: z.array(z.string().min(1)).min(1), unit: z.string().min(1), source: z.string().min(1), note: z.string() }).strict(),
        cirrhosis: z
          .object({
            codes: z.array(z.object({ system: z.string().url(), code: z.string().min(1), match: z.enum(['exact', 'prefix']) }).strict()).min(1),
            source: z.string().min(1),
            note: z.string(),
          })
          .strict(),
      })
      .strict(),
    exposureNotes: z.object({ version: z.string().min(1), measure: z.string().min(1), lowFraction: cutOff, highFraction: cutOff }).strict(),
    /** Weights outside it are simulated (linear per-kg scaling) with a warning that they are extrapolated. */
    studiedWeightKg: z.object({ low: z.number().positive(), high: z.number().positive(), source: z.string().min(1) }).strict(),
    models: z.array(modelSchema).min(1),
  })
  .strict()
  .superRefine((data, ctx) => {
    data.models.forEach((m, i) => {
      const params: [string, z.infer<typeof parameter>][] = [
        ['doseForm.baseFraction', m.doseForm.baseFraction],
        ...Object.entries(m.parent).filter(([, v]) => typeof v === 'object').map(([k, v]) => [`parent.${k}`, v] as [string, z.infer<typeof parameter>]),
        ...Object.entries(m.metabolite ?? {}).filter(([, v]) => typeof v === 'object').map(([k, v]) => [`metabolite.${k}`, v] as [string, z.infer<typeof parameter>]),
      ];
      for (const [name, p] of params) {
        if (!(p.source in data.sources)) ctx.addIssue({ code: 'custom', path: ['models', i, ...name.split('.'), 'source'], message: `source '${p.source}' is not in data.sources` });
        if (p.value < 0) ctx.addIssue({ code: 'custom', path: ['models', i, ...name.split('.'), 'value'], message: 'must not be negative' });
      }
      for (const f of [m.doseForm.baseFraction, m.parent.bioavailability, m.metabolite?.cyp2d6FractionAtReference, m.metabolite?.residualAtScore0, m.metabolite?.fractionReachingCirculation]) {
        if (f && (f.value <= 0 || f.value > 1)) ctx.addIssue({ code: 'custom', path: ['models', i], message: 'fractions must be in (0, 1]' });
      }
    });
    const cited = [data.record.eGFR.source, data.record.cirrhosis.source, data.exposureNotes.lowFraction.source, data.exposureNotes.highFraction.source, ...data.models.flatMap((m) => m.renalHepatic.sources)];
    for (const key of cited) if (!(key in data.sources)) ctx.addIssue({ code: 'custom', path: ['sources'], message: `source '${key}' is cited but not in data.sources` });
    if (data.exposureNotes.lowFraction.value >= 1 || data.exposureNotes.highFraction.value <= 1) ctx.addIssue({ code: 'custom', path: ['exposureNotes'], message: 'lowFraction must be below 1 and highFraction above 1' });
    const ids = data.models.map((m) => m.drug);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['models'], message: 'one model per drug' });
  });

export type PkModelTable = z.infer<typeof pkModelsPayload>;
export type PkModel = PkModelTable['models'][number];
export type PkParameter = z.infer<typeof parameter>;

export const parsePkModelsTable = (json: unknown): KnowledgeTable<PkModelTable> => knowledgeTableSchema(pkModelsPayload).parse(json);

/** The numbers the solver uses for one patient weight and one CYP2D6 formation multiplier (absolute units: L, L/h, 1/h, mg). */
export interface CompiledModel {
  readonly ka: number;
  readonly bioavailability: number;
  readonly parentClearance: number;
  readonly parentVolume: number;
  /** Part of the parent clearance that forms the metabolite (0 without one). */
  readonly formationClearance: number;
  readonly fractionReachingCirculation: number;
  readonly metaboliteClearance: number;
  readonly metaboliteVolume: number;
  /** Metabolite mass per parent mass (molar masses). */
  readonly massRatio: number;
}

const scaled = (p: PkParameter, weightKg: number, exponent: number, perKg: boolean) => (perKg ? p.value * weightKg ** exponent * 70 ** (1 - exponent) : p.value);
const isPerKg = (p: PkParameter) => p.unit.endsWith('/kg');

/** CYP2D6 formation multiplier: residual + (1 - residual) x score / reference. */
export function formationMultiplier(effectiveScore: number, residual: number, referenceScore: number): number {
  return residual + (1 - residual) * (effectiveScore / referenceScore);
}

/**
 * Numbers for one patient. CYP2D6 changes only the formation clearance; the other
 * routes of parent clearance are kept, so total parent clearance moves with it.
 */
export function compileModel(model: PkModel, weightKg: number, multiplier: number): CompiledModel {
  const p = model.parent;
  const pe = p.weightExponent.value;
  const clTotalRef = scaled(p.clearance, weightKg, pe, isPerKg(p.clearance));
  const m = model.metabolite;
  const formationRef = m ? clTotalRef * m.cyp2d6FractionAtReference.value : 0;
  const formation = formationRef * multiplier;
  const me = m?.weightExponent.value ?? 1;
  return {
    ka: p.ka.value,
    bioavailability: p.bioavailability.value,
    parentClearance: clTotalRef - formationRef + formation,
    parentVolume: scaled(p.volume, weightKg, pe, isPerKg(p.volume)),
    formationClearance: formation,
    fractionReachingCirculation: m?.fractionReachingCirculation.value ?? 0,
    metaboliteClearance: m ? scaled(m.clearance, weightKg, me, isPerKg(m.clearance)) : 1,
    metaboliteVolume: m ? scaled(m.volume, weightKg, me, isPerKg(m.volume)) : 1,
    massRatio: m ? m.molarMass / p.molarMass : 1,
  };
}
