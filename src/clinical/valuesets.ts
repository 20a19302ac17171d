import type { CodeableConcept } from 'fhir/r4';
import { z } from 'zod';
import { knowledgeTableSchema } from '../knowledge/table.js';

/**
 * Value sets (rules/knowledge/valuesets.json) compiled once into lookups:
 * explicit codes by system, ICD-10-CM ranges and prefixes (with or without the
 * dot), and whole-word names for drugs written as text.
 */
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';

const valueSet = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string(),
    codes: z.array(z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().optional() }).strict()).default([]),
    prefixes: z.array(z.object({ system: z.string().min(1), prefix: z.string().min(1) }).strict()).default([]),
    ranges: z.array(z.object({ system: z.string().min(1), from: z.string().min(1), to: z.string().min(1) }).strict()).default([]),
    names: z.array(z.string().min(1)).default([]),
    excludeNames: z.array(z.string().min(1)).default([]),
    /** Codes matching these patterns are not members even when a prefix or range matches (ICD-10 codes compared without dots). */
    excludePatterns: z.array(z.object({ system: z.string().min(1), pattern: z.string().min(1), display: z.string().optional() }).strict()).default([]),
  })
  .strict();

export const valueSetsPayload = z.object({ valueSets: z.array(valueSet) }).strict();
export type ValueSetTable = z.infer<typeof valueSetsPayload>;
export const parseValueSetTable = (json: unknown) => knowledgeTableSchema(valueSetsPayload).parse(json);

export type ValueSetId =
  | 'cancer'
  | 'palliative-care'
  | 'hospice'
  | 'sickle-cell'
  | 'opioid-use-disorder'
  | 'opioid-overdose'
  | 'benzodiazepine'
  | 'gabapentinoid'
  | 'muscle-relaxant'
  | 'barbiturate'
  | 'sedative-hypnotic'
  | 'rescue-naloxone'
  | 'pdmp-review'
  | 'tonsillectomy'
  | 'breastfeeding'
  // Paediatric codeine/tramadol warning (FDA 2017), read by src/clinical/pgx/paediatric.ts.
  | 'obesity'
  | 'obstructive-sleep-apnoea'
  | 'severe-lung-disease'
  // Naloxone risk factors and lost tolerance (CDC 2022 Recommendation 8), read by src/clinical/overdose-risk.ts.
  | 'substance-use-disorder'
  | 'sleep-disordered-breathing'
  | 'tolerance-loss'
  // Answers of yes/no questions (LOINC LA33-6 / LA32-8), read by the breastfeeding check in src/clinical/overdose-risk.ts.
  | 'answer-yes'
  | 'answer-no';

interface Compiled {
  readonly codes: ReadonlyMap<string, string | undefined>;
  readonly prefixes: readonly { system: string; prefix: string }[];
  readonly ranges: readonly { system: string; from: string; to: string }[];
  readonly names?: RegExp;
  readonly exclude?: RegExp;
  readonly excludeCodes: readonly { system: string; pattern: RegExp }[];
}

export interface ValueSets {
  /**
   * The matching member's display (or the concept's), or undefined when not in the set.
   * `codesOnly`: ignore the set's names (a match by code, prefix or range only); exclusions still apply.
   */
  match(id: ValueSetId, concept: CodeableConcept | undefined, options?: { codesOnly?: boolean }): string | undefined;
}

const normIcd = (code: string) => code.replace(/\./g, '').toUpperCase();
const words = (list: string[]) => (list.length ? new RegExp(`\\b(${list.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'i') : undefined);

export function compileValueSets(table: ValueSetTable): ValueSets {
  const sets = new Map<string, Compiled>();
  for (const vs of table.valueSets) {
    const codes = new Map<string, string | undefined>();
    for (const c of vs.codes) codes.set(`${c.system}|${c.system === ICD10 ? normIcd(c.code) : c.code}`, c.display);
    sets.set(vs.id, {
      codes,
      prefixes: vs.prefixes.map((p) => ({ system: p.system, prefix: p.system === ICD10 ? normIcd(p.prefix) : p.prefix })),
      ranges: vs.ranges.map((r) => ({ system: r.system, from: normIcd(r.from), to: normIcd(r.to) })),
      names: words(vs.names),
      exclude: words(vs.excludeNames),
      excludeCodes: vs.excludePatterns.map((p) => ({ system: p.system, pattern: new RegExp(p.pattern, 'i') })),
    });
  }
  return {
    match(id, concept, options) {
      const set = sets.get(id);
      if (!set) throw new Error(`unknown value set '${id}'`);
      if (!concept) return undefined;
      const { text, codings } = prepared(concept);
      if (set.exclude?.test(text)) return undefined;
      for (const c of codings) {
        if (set.excludeCodes.some((x) => x.system === c.system && x.pattern.test(c.code))) continue;
        if (set.codes.has(c.key)) return set.codes.get(c.key) ?? c.display ?? c.code;
        if (set.prefixes.some((p) => p.system === c.system && c.code.startsWith(p.prefix))) return c.display ?? c.original;
        const head = c.code.slice(0, 3);
        if (set.ranges.some((r) => r.system === c.system && head >= r.from && head <= r.to)) return c.display ?? c.original;
      }
      if (options?.codesOnly) return undefined;
      const m = set.names?.exec(text);
      return m ? m[1]!.toLowerCase() : undefined;
    },
  };
}

/** A concept's codes normalised for lookup and its words, worked out once per concept object and reused by every value set. */
interface PreparedConcept {
  readonly text: string;
  readonly codings: readonly { system: string; code: string; key: string; original: string; display: string | undefined }[];
}
const preparedConcepts = new WeakMap<CodeableConcept, PreparedConcept>();

function prepared(concept: CodeableConcept): PreparedConcept {
  let p = preparedConcepts.get(concept);
  if (p) return p;
  const codings = [];
  for (const c of concept.coding ?? []) {
    if (typeof c.system !== 'string' || typeof c.code !== 'string' || !c.system || !c.code) continue;
    const code = c.system === ICD10 ? normIcd(c.code) : c.code;
    codings.push({ system: c.system, code, key: `${c.system}|${code}`, original: c.code, display: c.display });
  }
  const text = [concept.text, ...(concept.coding ?? []).map((c) => c.display)].filter(Boolean).join(' ');
  p = { text, codings };
  preparedConcepts.set(concept, p);
  return p;
}

export function assertValueSets(table: ValueSetTable, required: readonly ValueSetId[]): void {
  const ids = new Set(table.valueSets.map((v) => v.id));
  const missing = required.filter((id) => !ids.has(id));
  if (missing.length) throw new Error(`valuesets is missing ${missing.join(', ')}`);
}

export const REQUIRED_VALUE_SETS: readonly ValueSetId[] = [
  'cancer',
  'palliative-care',
  'hospice',
  'sickle-cell',
  'opioid-use-disorder',
  'opioid-overdose',
  'benzodiazepine',
  'gabapentinoid',
  'muscle-relaxant',
  'barbiturate',
  'sedative-hypnotic',
  'rescue-naloxone',
  'pdmp-review',
  'tonsillectomy',
  'breastfeeding',
  'substance-use-disorder',
  'sleep-disordered-breathing',
  'tolerance-loss',
  'answer-yes',
  'answer-no',
];
