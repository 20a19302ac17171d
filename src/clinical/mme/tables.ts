import { z } from 'zod';
import { knowledgeTableSchema, type KnowledgeTable } from '../../knowledge/table.js';

/** Shapes of the MME knowledge tables in rules/knowledge/ (see their meta for sources). */
export const productsPayload = z
  .object({
    columns: z.tuple([z.literal('rxcui'), z.literal('name'), z.literal('doseForm'), z.literal('ingredientRxcui'), z.literal('ingredient'), z.literal('strength'), z.literal('unit')]),
    rows: z.array(z.tuple([z.string(), z.string(), z.string(), z.string(), z.string(), z.number().positive(), z.string()])),
  })
  .strict();

const factor = z
  .object({
    ingredient: z.string().min(1),
    route: z.enum(['transdermal', 'buccal', 'sublingual', 'lozenge', 'film', 'oral-spray', 'nasal', 'parenteral']).optional(),
    factor: z.number().positive(),
    per: z.enum(['mg', 'mcg', 'mcg/h']),
  })
  .strict();

export const factorsPayload = z
  .object({ factors: z.array(factor), notConverted: z.array(z.object({ ingredient: z.string(), reason: z.string(), comparable: z.boolean().optional() }).strict()) })
  .strict();

export const ingredientsPayload = z
  .object({
    ingredients: z.array(z.object({ name: z.string().min(1), rxnorm: z.string().min(1), longActing: z.boolean().optional() }).strict()),
    salts: z.array(z.string()),
    longActingPatterns: z.array(z.string()),
    oudBuprenorphinePatterns: z.array(z.string()),
    nonOpioidIngredients: z.array(z.string()),
  })
  .strict();

export type ProductTable = z.infer<typeof productsPayload>;
export type FactorTable = z.infer<typeof factorsPayload>;
export type IngredientTable = z.infer<typeof ingredientsPayload>;

export const parseProductsTable = (json: unknown) => knowledgeTableSchema(productsPayload).parse(json);
export const parseFactorsTable = (json: unknown) => knowledgeTableSchema(factorsPayload).parse(json);
export const parseIngredientsTable = (json: unknown) => knowledgeTableSchema(ingredientsPayload).parse(json);

/** Opioid tolerance as the FDA labels define it, and the products restricted to opioid-tolerant patients (rules/knowledge/opioid-tolerance.json). */
const restricted = z
  .object({
    id: z.string().min(1),
    label: z.string().min(1),
    ingredient: z.string().min(1),
    routes: z.array(z.string()).optional(),
    longActing: z.boolean().optional(),
    formPattern: z.string().optional(),
    allStrengths: z.boolean().optional(),
    strengthsMg: z.array(z.number().positive()).optional(),
    singleDoseAboveMg: z.number().positive().optional(),
    dailyDoseAboveMg: z.number().positive().optional(),
    source: z.string().min(1),
  })
  .strict();

export const tolerancePayload = z
  .object({
    minimumDays: z.number().positive(),
    definition: z.array(z.object({ ingredient: z.string(), route: z.string(), amount: z.number().positive(), unit: z.enum(['mg', 'mcg/h', 'mcg']) }).strict()),
    otherOpioidsMmePerDay: z.number().positive(),
    restricted: z.array(restricted),
  })
  .strict();
export type ToleranceTable = z.infer<typeof tolerancePayload>;
export const parseToleranceTable = (json: unknown) => knowledgeTableSchema(tolerancePayload).parse(json);

export const safetyParametersPayload = z
  .object({
    conditionWithoutStatusRecentDays: z.number().positive(),
    toleranceLossLookbackDays: z.number().positive(),
  })
  .strict();
export type SafetyParameters = z.infer<typeof safetyParametersPayload>;
export const parseSafetyParametersTable = (json: unknown) => knowledgeTableSchema(safetyParametersPayload).parse(json);

export interface ProductRow {
  readonly rxcui: string;
  readonly name: string;
  readonly doseForm: string;
  readonly ingredient: string;
  readonly strength: number;
  readonly unit: string;
}

/** The MME tables compiled once per rule-set load: indexes instead of scans on the hot path. */
export interface MmeKnowledge {
  readonly productsByRxcui: ReadonlyMap<string, readonly ProductRow[]>;
  readonly ingredients: IngredientTable;
  readonly ingredientByRxcui: ReadonlyMap<string, string>;
  readonly ingredientNames: readonly string[];
  readonly nameMatcher: RegExp;
  /** Non-opioid ingredients that make a product a combination (a dose in mg is then ambiguous). */
  readonly nonOpioidMatcher: RegExp;
  readonly longActing: readonly RegExp[];
  readonly oudBuprenorphine: readonly RegExp[];
  /** Factor sets in order of preference. */
  readonly factorSets: readonly KnowledgeTable<FactorTable>[];
  readonly productsVersion: string;
  /** FDA opioid-tolerance definition and label-restricted products. */
  readonly tolerance: KnowledgeTable<ToleranceTable>;
  /** Local parameters of the scope and safeguard checks. */
  readonly safety: KnowledgeTable<SafetyParameters>;
}

export function compileMmeKnowledge(
  products: KnowledgeTable<ProductTable>,
  ingredients: KnowledgeTable<IngredientTable>,
  factorSets: KnowledgeTable<FactorTable>[],
  tolerance: KnowledgeTable<ToleranceTable>,
  safety: KnowledgeTable<SafetyParameters>,
): MmeKnowledge {
  const productsByRxcui = new Map<string, ProductRow[]>();
  for (const [rxcui, name, doseForm, , ingredient, strength, unit] of products.data.rows) {
    const list = productsByRxcui.get(rxcui) ?? [];
    list.push({ rxcui, name, doseForm, ingredient, strength, unit });
    productsByRxcui.set(rxcui, list);
  }
  const ingredientNames = ingredients.data.ingredients.map((i) => i.name).sort((a, b) => b.length - a.length);
  return {
    productsByRxcui,
    ingredients: ingredients.data,
    ingredientByRxcui: new Map(ingredients.data.ingredients.map((i) => [i.rxnorm, i.name])),
    ingredientNames,
    // Longest names first so "dihydrocodeine" is not read as "codeine", "hydromorphone" not as "morphine".
    nameMatcher: new RegExp(`\\b(${ingredientNames.join('|')})\\b`, 'gi'),
    nonOpioidMatcher: new RegExp(`\\b(${ingredients.data.nonOpioidIngredients.join('|')})\\b`, 'i'),
    longActing: ingredients.data.longActingPatterns.map((p) => new RegExp(p, 'i')),
    oudBuprenorphine: ingredients.data.oudBuprenorphinePatterns.map((p) => new RegExp(p, 'i')),
    factorSets,
    productsVersion: `${products.meta.id}@${products.meta.version}`,
    tolerance,
    safety,
  };
}
