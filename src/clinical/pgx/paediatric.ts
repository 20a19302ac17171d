import type { Condition, MedicationRequest, Procedure } from 'fhir/r4';
import { z } from 'zod';
import { knowledgeTableSchema } from '../../knowledge/table.js';
import { isActiveCondition } from '../safeguards.js';
import type { PatientFacts } from '../facts/catalog.js';
import type { ValueSets } from '../valuesets.js';

/**
 * The facts behind the FDA label restrictions of codeine and tramadol in
 * children (FDA 2017): a tonsillectomy or adenoidectomy in the post-operative
 * period, and the conditions that make them unsafe at 12-18 (obesity,
 * obstructive sleep apnoea, severe lung disease).
 */
export const paediatricPayload = z.object({ postOperativeDays: z.number().int().positive() }).strict();
export type PaediatricParameters = z.infer<typeof paediatricPayload>;
export const parsePaediatricTable = (json: unknown) => knowledgeTableSchema(paediatricPayload).parse(json);

export interface PaediatricInput {
  readonly now: Date;
  readonly procedures: readonly Procedure[];
  readonly conditions: readonly Condition[];
  readonly draftOrders: readonly MedicationRequest[];
}

const DAY = 86_400_000;
const RISK_SETS = [
  ['obesity', 'obesity'],
  ['obstructive-sleep-apnoea', 'obstructive sleep apnoea'],
  ['severe-lung-disease', 'severe lung disease'],
] as const;

export interface RecentTonsillectomy {
  readonly recent: boolean;
  /** For people: "on 2026-05-29", "date not recorded", "reason for this order". */
  readonly when: string;
}

/** A tonsillectomy or adenoidectomy within the post-operative period (or undated: unknown is not absent), or given as the order's reason. */
export function recentTonsillectomy(input: PaediatricInput, vs: ValueSets, p: PaediatricParameters): RecentTonsillectomy {
  if (input.draftOrders.some((d) => (d.reasonCode ?? []).some((r) => vs.match('tonsillectomy', r)))) return { recent: true, when: 'given as the reason for this order' };
  const dates: (string | undefined)[] = [];
  for (const pr of input.procedures) {
    if (pr.status === 'entered-in-error' || pr.status === 'not-done' || !vs.match('tonsillectomy', pr.code)) continue;
    dates.push(pr.performedDateTime ?? pr.performedPeriod?.end ?? pr.performedPeriod?.start);
  }
  for (const c of input.conditions) {
    const verification = c.verificationStatus?.coding?.map((x) => x.code) ?? [];
    if (verification.some((v) => v === 'refuted' || v === 'entered-in-error') || !vs.match('tonsillectomy', c.code)) continue;
    dates.push(c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate);
  }
  let undated = false;
  let latest: number | undefined;
  for (const d of dates) {
    const t = d ? Date.parse(d) : NaN;
    if (Number.isNaN(t)) undated = true;
    else if (latest === undefined || t > latest) latest = t;
  }
  if (latest !== undefined && input.now.getTime() - latest <= p.postOperativeDays * DAY) return { recent: true, when: `on ${new Date(latest).toISOString().slice(0, 10)}` };
  if (undated) return { recent: true, when: 'on a date that is not recorded' };
  return { recent: false, when: latest !== undefined ? `on ${new Date(latest).toISOString().slice(0, 10)}` : '' };
}

/** Active conditions that make codeine and tramadol unsafe at 12-18, for people ("obesity (Obesity)"). */
export function respiratoryRisks(conditions: readonly Condition[], vs: ValueSets): string[] {
  const out: string[] = [];
  for (const [set, label] of RISK_SETS) {
    const hit = conditions.filter(isActiveCondition).map((c) => vs.match(set, c.code)).find(Boolean);
    if (hit) out.push(hit.toLowerCase() === label ? label : `${label} (${hit})`);
  }
  return out;
}

/** Facts for the paediatric label rules (rules/pgx/label-overlays.json). */
export function paediatricFacts(input: PaediatricInput, vs: ValueSets, p: PaediatricParameters): Partial<PatientFacts> {
  const tonsil = recentTonsillectomy(input, vs, p);
  const risks = respiratoryRisks(input.conditions, vs);
  return {
    'paediatric.recentTonsillectomy': tonsil.recent,
    'paediatric.tonsillectomyWhen': tonsil.when,
    'paediatric.respiratoryRisks': risks,
    'paediatric.hasRespiratoryRisk': risks.length > 0,
  };
}
