import type { Condition, MedicationRequest, MedicationStatement, Observation, Procedure } from 'fhir/r4';
import { isCurrentCondition, isRefuted } from './safeguards.js';
import type { ValueSets } from './valuesets.js';

/**
 * Conditions behind the naloxone offer (CDC 2022 Recommendation 8) and the
 * lactation check, read from the record with their statuses respected.
 */
export interface RiskCondition {
  readonly kind: 'oud' | 'sud' | 'overdose' | 'sleep';
  readonly text: string;
}

const DAY = 86_400_000;
const INACTIVE = new Set(['inactive', 'resolved', 'remission']);

/**
 * A history of opioid or other substance use disorder (remission included) and
 * past overdoses count whatever their clinical status; sleep-disordered breathing
 * counts unless it is recorded as inactive or resolved. Refuted or entered-in-error
 * conditions never count.
 */
export function overdoseRiskConditions(conditions: readonly Condition[], vs: ValueSets): RiskCondition[] {
  const out = new Map<string, RiskCondition>();
  const add = (r: RiskCondition) => out.set(`${r.kind}|${r.text}`, r);
  for (const c of conditions) {
    if (isRefuted(c)) continue;
    const oud = vs.match('opioid-use-disorder', c.code);
    if (oud) add({ kind: 'oud', text: `opioid use disorder, current or past (${oud})` });
    else {
      const sud = vs.match('substance-use-disorder', c.code);
      if (sud) add({ kind: 'sud', text: `substance use disorder, current or past (${sud})` });
    }
    const od = vs.match('opioid-overdose', c.code);
    if (od) add({ kind: 'overdose', text: `past opioid overdose (${od})` });
    const sleep = vs.match('sleep-disordered-breathing', c.code);
    const status = (c.clinicalStatus?.coding ?? []).map((x) => x.code);
    if (sleep && !status.some((s) => s !== undefined && INACTIVE.has(s))) add({ kind: 'sleep', text: `sleep-disordered breathing (${sleep})` });
  }
  return [...out.values()];
}

const dateOf = (...candidates: (string | undefined)[]) => {
  for (const c of candidates) {
    const t = c ? Date.parse(c) : NaN;
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
};

/**
 * A recorded loss of opioid tolerance within the look-back: a release from
 * incarceration or an opioid taper (a coded condition, procedure or observation,
 * or an ended opioid order whose instructions say it was a taper).
 */
export function toleranceLossEvent(
  input: {
    conditions: readonly Condition[];
    procedures: readonly Procedure[];
    observations: readonly Observation[];
    endedOpioidOrders: readonly (MedicationRequest | MedicationStatement)[];
    now: Date;
    lookbackDays: number;
  },
  vs: ValueSets,
): string | undefined {
  const within = (t: number | undefined) => t !== undefined && t <= input.now.getTime() && input.now.getTime() - t <= input.lookbackDays * DAY;
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  for (const c of input.conditions) {
    if (isRefuted(c)) continue;
    const hit = vs.match('tolerance-loss', c.code);
    const t = dateOf(c.onsetDateTime, c.onsetPeriod?.start, c.recordedDate, c.abatementDateTime);
    if (hit && within(t)) return `${hit}, ${day(t!)}`;
  }
  for (const p of input.procedures) {
    if (p.status === 'entered-in-error' || p.status === 'not-done') continue;
    const hit = vs.match('tolerance-loss', p.code);
    const t = dateOf(p.performedDateTime, p.performedPeriod?.end, p.performedPeriod?.start);
    if (hit && within(t)) return `${hit}, ${day(t!)}`;
  }
  for (const o of input.observations) {
    if (o.status === 'entered-in-error' || o.status === 'cancelled') continue;
    const hit = vs.match('tolerance-loss', o.code) ?? vs.match('tolerance-loss', o.valueCodeableConcept);
    const t = dateOf(o.effectiveDateTime, o.effectivePeriod?.end, o.issued);
    if (hit && within(t)) return `${hit}, ${day(t!)}`;
  }
  for (const order of input.endedOpioidOrders) {
    const dosages = order.resourceType === 'MedicationRequest' ? order.dosageInstruction : order.dosage;
    const taper = (dosages ?? []).some((d) => /\btaper/i.test(`${d.text ?? ''} ${d.patientInstruction ?? ''}`));
    const t = order.resourceType === 'MedicationRequest' ? dateOf(order.dispenseRequest?.validityPeriod?.end, order.authoredOn) : dateOf(order.effectivePeriod?.end, order.effectiveDateTime);
    if (taper && within(t)) return `opioid taper, ${day(t!)}`;
  }
  return undefined;
}

const OBSERVATION_DONE = new Set(['final', 'amended', 'corrected', 'preliminary', 'registered']);

/**
 * Breastfeeding: a current Condition in the set, or the latest Observation whose
 * VALUE says breastfeeding (a "breastfeeding status" question answered "not
 * breastfeeding" does not count; a yes/no question counts when answered yes, by
 * valueBoolean or by a yes/no answer code such as LOINC LA33-6 Yes).
 */
export function isBreastfeeding(conditions: readonly Condition[], observations: readonly Observation[], vs: ValueSets, now: Date, recentDays: number): boolean {
  if (conditions.some((c) => vs.match('breastfeeding', c.code) && isCurrentCondition(c, now, recentDays))) return true;
  const answered = observations
    .filter((o) => OBSERVATION_DONE.has(o.status))
    .map((o) => {
      const asks = vs.match('breastfeeding', o.code) !== undefined;
      // A breastfeeding question answered with a yes/no answer code (LOINC LA33-6 Yes, LA32-8 No).
      const byAnswer =
        asks && o.valueCodeableConcept
          ? vs.match('answer-yes', o.valueCodeableConcept, { codesOnly: true })
            ? true
            : vs.match('answer-no', o.valueCodeableConcept, { codesOnly: true })
              ? false
              : undefined
          : undefined;
      const byValue = o.valueCodeableConcept ? vs.match('breastfeeding', o.valueCodeableConcept) !== undefined : undefined;
      const byText = typeof o.valueString === 'string' ? vs.match('breastfeeding', { text: o.valueString }) !== undefined : undefined;
      const byBoolean = typeof o.valueBoolean === 'boolean' && vs.match('breastfeeding', o.code) !== undefined ? o.valueBoolean : undefined;
      const says = byAnswer ?? byValue ?? byText ?? byBoolean;
      return { says, at: dateOf(o.effectiveDateTime, o.effectivePeriod?.end, o.issued) ?? 0, asks };
    })
    .filter((o) => o.says !== undefined && (o.says || o.asks))
    .sort((a, b) => b.at - a.at);
  return answered[0]?.says === true;
}
