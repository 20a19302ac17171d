import { z } from 'zod';
import { knowledgeTableSchema, type KnowledgeTable } from '../../knowledge/table.js';

/** Shapes of the CYP2D6 knowledge tables in rules/knowledge/ (see their meta for sources). */
export const PHENOTYPE_CODES = ['UM', 'NM', 'IM', 'PM', 'Indeterminate'] as const;
export type PhenotypeCode = (typeof PHENOTYPE_CODES)[number];

const activityValue = z.union([z.number().min(0), z.null(), z.object({ atLeast: z.number().min(0) }).strict()]);

export const activityValuesPayload = z
  .object({
    activityValues: z.record(z.string().regex(/^\*\d+(x(\d+|≥3))?$/, 'an allele like *4, *1x2 or *1x≥3'), activityValue),
    /** An unknown copy number (xN) counts as this many copies, as a lower bound (CPIC's "≥3 copies" bin). */
    unknownCopyNumber: z.object({ countAs: z.number().int().min(2) }).strict(),
  })
  .strict();

const threshold = z
  .object({
    phenotype: z.enum(['UM', 'NM', 'IM', 'PM']),
    min: z.number().optional(),
    max: z.number().optional(),
    minExclusive: z.number().optional(),
    maxExclusive: z.number().optional(),
  })
  .strict();

export const phenotypesPayload = z
  .object({
    thresholds: z.array(threshold).min(4),
    phenotypes: z.record(z.enum(PHENOTYPE_CODES), z.object({ display: z.string(), loinc: z.array(z.string()), synonyms: z.array(z.string()) }).strict()),
    /** Answer codes that name a phenotype CPIC does not define for CYP2D6 (e.g. "Rapid metabolizer"): read as Indeterminate, with the reason. */
    otherAnswers: z.array(z.object({ loinc: z.string(), display: z.string(), synonyms: z.array(z.string()), readAs: z.literal('Indeterminate'), reason: z.string() }).strict()).default([]),
    phenoconversion: z.object({ strong: z.number().min(0).max(1), moderate: z.number().min(0).max(1), note: z.string() }).strict(),
  })
  .strict();

export const inhibitorsPayload = z
  .object({
    inhibitors: z.array(
      z
        .object({
          name: z.string().min(1),
          rxnorm: z.string().optional(),
          strength: z.enum(['strong', 'moderate']),
          note: z.string().optional(),
          /** RxNorm clinical and branded drugs (SCD/SBD) containing it, for orders coded only by product. */
          products: z.array(z.object({ rxnorm: z.string().min(1), name: z.string().min(1) }).strict()).default([]),
          /** Brand names of products containing it, matched as whole words in the medication's text (an SBD with a display). */
          brands: z.array(z.string().min(1)).default([]),
        })
        .strict(),
    ),
  })
  .strict();

const advice = z.object({ affected: z.boolean().nullable(), advice: z.string() }).strict();
export const recommendationsPayload = z
  .object({
    drugs: z.array(
      z
        .object({
          drug: z.string(),
          rxnorm: z.string().optional(),
          cyp2d6: z.boolean(),
          /** For drugs without phenotype rows: false = not affected by CYP2D6, null = no CPIC recommendation (evidence insufficient). */
          affected: z.boolean().nullable().optional(),
          byPhenotype: z.record(z.enum(PHENOTYPE_CODES), advice).optional(),
          note: z.string().optional(),
        })
        .strict(),
    ),
  })
  .strict();

export type ActivityValues = z.infer<typeof activityValuesPayload>;
export type PhenotypeTable = z.infer<typeof phenotypesPayload>;
export type InhibitorTable = z.infer<typeof inhibitorsPayload>;
export type RecommendationTable = z.infer<typeof recommendationsPayload>;

export interface Cyp2d6Tables {
  readonly activity: KnowledgeTable<ActivityValues>;
  readonly phenotypes: KnowledgeTable<PhenotypeTable>;
  readonly inhibitors: KnowledgeTable<InhibitorTable>;
  readonly recommendations: KnowledgeTable<RecommendationTable>;
}

export const parseActivityValuesTable = (json: unknown) => knowledgeTableSchema(activityValuesPayload).parse(json);
export const parsePhenotypesTable = (json: unknown) => knowledgeTableSchema(phenotypesPayload).parse(json);
export const parseInhibitorsTable = (json: unknown) => knowledgeTableSchema(inhibitorsPayload).parse(json);
export const parseRecommendationsTable = (json: unknown) => knowledgeTableSchema(recommendationsPayload).parse(json);
