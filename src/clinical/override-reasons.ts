import { z } from 'zod';
import { knowledgeTableSchema, type KnowledgeTable } from '../knowledge/table.js';

/**
 * The project's code system of override reasons (rules/knowledge/override-reasons.json):
 * what a card may offer, and how long an override with each reason quiets the alert.
 */
const reason = z
  .object({
    code: z.string().regex(/^[a-z0-9-]+$/),
    display: z.string().min(1),
    validityDays: z.number().int().positive(),
    topics: z.array(z.string().min(1)).min(1),
    hl7Code: z.string().optional(),
    /** Choosing this reason documents a PDMP review (CDC 2022 recommendation 9). */
    recordsPdmpReview: z.boolean().optional(),
  })
  .strict();

export const overrideReasonsPayload = z
  .object({ system: z.string().min(1), hl7System: z.string().min(1), reasons: z.array(reason).min(1) })
  .strict()
  .refine((d) => new Set(d.reasons.map((r) => r.code)).size === d.reasons.length, 'reason codes must be unique');

export type OverrideReasonTable = z.infer<typeof overrideReasonsPayload>;
export type OverrideReason = OverrideReasonTable['reasons'][number];

export function parseOverrideReasonsTable(json: unknown): KnowledgeTable<OverrideReasonTable> {
  return knowledgeTableSchema(overrideReasonsPayload).parse(json);
}

export function overrideReasonCoding(table: OverrideReasonTable, code: string): { system: string; code: string; display: string } | undefined {
  const r = table.reasons.find((x) => x.code === code);
  return r && { system: table.system, code: r.code, display: r.display };
}

/** Finds a reason by the coding a client sent back (our system, the HL7 system, or a bare code). */
export function findOverrideReason(table: OverrideReasonTable, coding: { system?: string; code: string }): OverrideReason | undefined {
  if (!coding.system || coding.system === table.system) return table.reasons.find((r) => r.code === coding.code);
  if (coding.system === table.hl7System) return table.reasons.find((r) => r.hl7Code === coding.code);
  return undefined;
}
