import { z } from 'zod';
import { knowledgeTableSchema, tableCitation, type KnowledgeTable } from '../../knowledge/table.js';
import type { Nof1Defaults } from './report.js';

/**
 * rules/knowledge/nof1-defaults.json: the default minimal clinically important
 * difference (MCID) of a 0-10 pain scale with its source, and the design
 * minimums a planner enforces, the codes of the daily outcomes (pain NRS LOINC
 * 72514-3; side effects, adherence and serious adverse events in the local
 * system urn:pain-cds:nof1), the early-stop reasons and the CYP2D6 phenotypes
 * for which codeine and tramadol are refused as an arm. Registered in
 * PAIN_TABLE_PARSERS: the service loads it with the other tables.
 */
export const NOF1_DEFAULTS_TABLE = 'nof1-defaults';

const cited = z.object({ value: z.number().positive(), unit: z.string().min(1), scale: z.string().min(1), source: z.string().min(1) }).strict();

const code = z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().min(1) }).strict();
const scored = code.extend({ key: z.string().regex(/^[a-z-]+$/), min: z.number(), max: z.number(), lowerIsBetter: z.boolean() }).strict();
/** A primary outcome other than pain alone (the PEG): its score is the mean of its items, each asked daily. */
const composite = scored.extend({ items: z.array(z.object({ code: z.string().min(1), display: z.string().min(1) }).strict()).min(1) }).strict();

const nof1DefaultsPayload = z
  .object({
    mcid: cited,
    muchImproved: cited,
    analysis: z.object({ autocorrelationWarning: z.object({ value: z.number().gt(0).lt(1), source: z.string().min(1) }).strict() }).strict(),
    design: z
      .object({
        minimumPairs: z.number().int().min(2),
        defaultWashoutDays: z.number().int().min(0),
        defaultPeriodDays: z.number().int().positive(),
        source: z.string().min(1),
      })
      .strict()
      .refine((d) => d.defaultPeriodDays > d.defaultWashoutDays, 'defaultPeriodDays must be longer than defaultWashoutDays'),
    outcomes: z
      .object({ primary: scored, alternativePrimary: z.array(composite), secondary: z.array(scored), adherence: code, seriousAdverseEvent: code, source: z.string().min(1) })
      .strict(),
    stopReasons: z
      .object({ system: z.string().min(1), codes: z.array(z.object({ code: z.string().min(1), display: z.string().min(1) }).strict()).min(1), source: z.string().min(1) })
      .strict(),
    cyp2d6Refusals: z.object({ drugs: z.array(z.string().min(1)), phenotypes: z.array(z.enum(['UM', 'NM', 'IM', 'PM', 'Indeterminate'])), source: z.string().min(1) }).strict(),
  })
  .strict();

export type Nof1DefaultsTable = z.infer<typeof nof1DefaultsPayload>;

export function parseNof1DefaultsTable(json: unknown): KnowledgeTable<Nof1DefaultsTable> {
  const table = knowledgeTableSchema(nof1DefaultsPayload).parse(json);
  if (table.meta.id !== NOF1_DEFAULTS_TABLE) throw new Error(`expected the table '${NOF1_DEFAULTS_TABLE}', got '${table.meta.id}'`);
  return table;
}

/** The analysis defaults from the table, with the citation the output shows. */
export function analysisDefaults(table: KnowledgeTable<Nof1DefaultsTable>): Nof1Defaults {
  const { mcid, analysis } = table.data;
  return { mcid: mcid.value, autocorrelationWarning: analysis.autocorrelationWarning.value, source: `${tableCitation(table.meta)}: ${mcid.value} ${mcid.unit} on a ${mcid.scale} (${mcid.source})` };
}
