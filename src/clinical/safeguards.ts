import type { Condition, MedicationRequest, MedicationStatement, Observation, Patient, Procedure } from 'fhir/r4';
import { drugName, isActiveUse, medicationOf, type MedicationResolver } from './medication.js';
import { durationDays } from './mme/daily-dose.js';
import type { ValueSetId, ValueSets } from './valuesets.js';

/** Pure checks over the record used by the opioid safety rules (CDC 2022), driven by the value sets. */

const DAY = 86_400_000;

export function ageInYears(patient: Patient | undefined, now: Date): number | null {
  const birth = patient?.birthDate ? new Date(`${patient.birthDate.length === 4 ? `${patient.birthDate}-01-01` : patient.birthDate.length === 7 ? `${patient.birthDate}-01` : patient.birthDate.slice(0, 10)}T00:00:00Z`) : undefined;
  if (!birth || Number.isNaN(birth.getTime()) || birth > now) return null;
  let age = now.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday = now.getUTCMonth() < birth.getUTCMonth() || (now.getUTCMonth() === birth.getUTCMonth() && now.getUTCDate() < birth.getUTCDate());
  if (beforeBirthday) age--;
  return age;
}

/** Refuted or entered in error: the condition never counts, whatever its clinical status. */
export function isRefuted(c: Condition): boolean {
  return (c.verificationStatus?.coding ?? []).some((v) => v.code === 'refuted' || v.code === 'entered-in-error');
}

const CURRENT = new Set(['active', 'recurrence', 'relapse']);

/**
 * A current condition: not refuted, and clinically active (active, recurrence, relapse).
 * With no clinicalStatus it is not assumed active: it counts only when its onset or
 * recorded date is within `recentDays` (opioid-safety-parameters); with no date it does not.
 */
export function isCurrentCondition(c: Condition, now: Date, recentDays: number): boolean {
  if (isRefuted(c)) return false;
  const clinical = (c.clinicalStatus?.coding ?? []).map((x) => x.code).filter((x): x is string => Boolean(x));
  if (clinical.length > 0) return clinical.some((s) => CURRENT.has(s));
  const dates = [c.onsetDateTime, c.onsetPeriod?.start, c.recordedDate].map((d) => (d ? Date.parse(d) : NaN)).filter((t) => !Number.isNaN(t));
  return dates.some((t) => t <= now.getTime() && now.getTime() - t <= recentDays * DAY);
}

/**
 * Older check, kept for callers outside the opioid safety rules (paediatric overlays):
 * active, not refuted; absent clinicalStatus counts as active. The CDC scope and the
 * safeguards use isCurrentCondition, which does not assume an absent status is active.
 */
export function isActiveCondition(c: Condition): boolean {
  const clinical = c.clinicalStatus?.coding?.map((x) => x.code) ?? [];
  const verification = c.verificationStatus?.coding?.map((x) => x.code) ?? [];
  if (verification.some((v) => v === 'refuted' || v === 'entered-in-error')) return false;
  return clinical.length === 0 || clinical.some((s) => s === 'active' || s === 'recurrence' || s === 'relapse');
}

export interface ScopeExclusion {
  readonly kind: 'cancer' | 'palliative' | 'hospice' | 'sickle-cell' | 'under-18';
  readonly display: string;
}

const SCOPE_SETS: readonly [ValueSetId, ScopeExclusion['kind'], string][] = [
  ['cancer', 'cancer', 'active cancer'],
  ['palliative-care', 'palliative', 'palliative care'],
  ['hospice', 'hospice', 'hospice or end-of-life care'],
  ['sickle-cell', 'sickle-cell', 'sickle cell disease'],
];

/** Why the CDC 2022 guideline does not apply to this patient (empty: it applies). */
export function mmeScopeExclusions(
  input: { patient?: Patient; conditions: readonly Condition[]; procedures: readonly Procedure[]; now: Date; conditionWithoutStatusRecentDays: number },
  vs: ValueSets,
): ScopeExclusion[] {
  const out: ScopeExclusion[] = [];
  const current = input.conditions.filter((c) => isCurrentCondition(c, input.now, input.conditionWithoutStatusRecentDays));
  // A condition found by its words (text only, or an unlisted code) is shown by its own text, not by the word that matched.
  const shown = (set: ValueSetId, code: Condition['code']) => {
    const hit = vs.match(set, code);
    if (!hit || vs.match(set, code, { codesOnly: true })) return hit;
    return code?.text ?? code?.coding?.find((c) => c.display)?.display ?? hit;
  };
  for (const [set, kind, label] of SCOPE_SETS) {
    // Cancer words are not read on procedures: a past cancer operation is not active cancer.
    const hit =
      current.map((c) => shown(set, c.code)).find(Boolean) ??
      input.procedures
        .filter((p) => p.status !== 'entered-in-error' && p.status !== 'not-done')
        .map((p) => vs.match(set, p.code, set === 'cancer' ? { codesOnly: true } : undefined))
        .find(Boolean);
    if (hit) out.push({ kind, display: `${label} (${hit})` });
  }
  const age = ageInYears(input.patient, input.now);
  if (age !== null && age < 18) out.push({ kind: 'under-18', display: `age under 18 (${age})` });
  return out;
}

export type CnsClass = 'benzodiazepine' | 'gabapentinoid' | 'muscle-relaxant' | 'barbiturate' | 'sedative-hypnotic';
const CNS_CLASSES: readonly CnsClass[] = ['benzodiazepine', 'gabapentinoid', 'muscle-relaxant', 'barbiturate', 'sedative-hypnotic'];

export interface CnsDepressant {
  readonly cnsClass: CnsClass;
  readonly drug: string;
  readonly isDraft: boolean;
}

export function cnsDepressants(orders: readonly { order: MedicationRequest | MedicationStatement; isDraft: boolean }[], vs: ValueSets, resolve?: MedicationResolver): CnsDepressant[] {
  const out: CnsDepressant[] = [];
  for (const { order, isDraft } of orders) {
    if (!isDraft && !isActiveUse(order)) continue;
    const { concept } = medicationOf(order, resolve);
    for (const cnsClass of CNS_CLASSES) {
      const hit = vs.match(cnsClass, concept);
      if (hit) {
        out.push({ cnsClass, drug: hit, isDraft });
        break;
      }
    }
  }
  return out;
}

export function naloxoneOnHand(orders: readonly (MedicationRequest | MedicationStatement)[], vs: ValueSets, resolve?: MedicationResolver): string | undefined {
  for (const o of orders) {
    if (!isActiveUse(o)) continue;
    if (vs.match('rescue-naloxone', medicationOf(o, resolve).concept)) return drugName(o, resolve);
  }
  return undefined;
}

/** Latest documented PDMP review (procedure or observation). */
export function lastPdmpReview(procedures: readonly Procedure[], observations: readonly Observation[], vs: ValueSets): Date | undefined {
  const dates: number[] = [];
  for (const p of procedures) {
    if (p.status === 'entered-in-error' || p.status === 'not-done' || !vs.match('pdmp-review', p.code)) continue;
    const d = Date.parse(p.performedDateTime ?? p.performedPeriod?.end ?? p.performedPeriod?.start ?? '');
    if (!Number.isNaN(d)) dates.push(d);
  }
  for (const o of observations) {
    if (o.status === 'entered-in-error' || !vs.match('pdmp-review', o.code)) continue;
    const d = Date.parse(o.effectiveDateTime ?? o.issued ?? '');
    if (!Number.isNaN(d)) dates.push(d);
  }
  return dates.length ? new Date(Math.max(...dates)) : undefined;
}

export function hasRecord(items: readonly { code?: { coding?: unknown[]; text?: string } }[], set: ValueSetId, vs: ValueSets): boolean {
  return items.some((i) => vs.match(set, i.code as never) !== undefined);
}

/** Days of supply from dispenseRequest.expectedSupplyDuration, when given. */
/** Days of supply an order allows (its expectedSupplyDuration, in any time unit); undefined when not given or in no time unit. */
export function daysSupply(order: MedicationRequest): number | undefined {
  return durationDays(order.dispenseRequest?.expectedSupplyDuration);
}

export function daysBetween(earlier: Date, later: Date): number {
  return Math.floor((later.getTime() - earlier.getTime()) / DAY);
}
