import { z } from 'zod';
import { knowledgeTableSchema, tableCitation, type KnowledgeTable } from '../../knowledge/table.js';
import type { Nof1Defaults } from './report.js';

/**
 * rules/knowledge/nof1-defaults.json: the default minimal clinically important
 * difference (MCID) of a 0-10 pain scale with its source, and the design
 * minimums a planner enforces. Not registered in PAIN_TABLE_PARSERS (no rule
 * reads it yet): the rule loader checks only its `meta`; this parser checks the rest.
 */
export const NOF1_DEFAULTS_TABLE = 'nof1-defaults';

const cited = z.object({ value: z.number().positive(), unit: z.string().min(1), scale: z.string().min(1), source: z.string().min(1) }).strict();

export const nof1DefaultsPayload = z
  .object({
    mcid: cited,
    muchImproved: cited,
    design: z
      .object({
        minimumPairs: z.number().int().min(2),
        defaultWashoutDays: z.number().int().min(0),
        defaultPeriodDays: z.number().int().positive(),
        source: z.string().min(1),
      })
      .strict()
      .refine((d) => d.defaultPeriodDays > d.defaultWashoutDays, 'defaultPeriodDays must be longer than defaultWashoutDays'),
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
  const { mcid } = table.data;
  return { mcid: mcid.value, source: `${tableCitation(table.meta)}: ${mcid.value} ${mcid.unit} on a ${mcid.scale} (${mcid.source})` };
}
