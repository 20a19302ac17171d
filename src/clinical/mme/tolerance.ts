import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import { isActiveUse, type MedicationResolver } from '../medication.js';
import { amountPerAdministration, doseOf } from './daily-dose.js';
import { identifyOpioid, type OpioidIdentification, type Route } from './identify.js';
import { orderMme } from './summary.js';
import type { MmeKnowledge, ToleranceTable } from './tables.js';

/**
 * Opioid tolerance as the FDA labels define it (rules/knowledge/opioid-tolerance.json):
 * for at least a week, at least 60 mg oral morphine a day or one of the listed
 * equivalents. Products whose labels restrict them to opioid-tolerant patients are
 * listed in the same table. Unknown stays unknown: when the medication list could not
 * be read, or an active opioid cannot be converted, tolerance is null unless what could
 * be counted already reaches it.
 */
export interface ToleranceStatus {
  /** FDA definition met; null when it cannot be known. */
  readonly tolerant: boolean | null;
  /** For people: why. */
  readonly text: string;
}

const DAY = 86_400_000;

function startOf(order: MedicationRequest | MedicationStatement): number | undefined {
  const when =
    order.resourceType === 'MedicationRequest'
      ? (order.dispenseRequest?.validityPeriod?.start ?? order.authoredOn)
      : (order.effectivePeriod?.start ?? order.effectiveDateTime ?? order.dateAsserted);
  const t = when ? Date.parse(when) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

function definitionShare(ingredient: string, route: Route, value: number, unit: string, mme: number, t: ToleranceTable): number {
  const row = t.definition.find((d) => d.ingredient === ingredient && d.unit === unit && (d.route === route || (d.route === 'transdermal' && unit === 'mcg/h')));
  return row ? value / row.amount : mme / t.otherOpioidsMmePerDay;
}

/**
 * Whether the patient's active pain opioids (not this call's drafts) meet the FDA
 * definition, each counted only when it started at least `minimumDays` ago.
 */
export function assessTolerance(
  input: { records: readonly (MedicationRequest | MedicationStatement)[]; draftIds: ReadonlySet<string>; now: Date; medicationListKnown: boolean; resolve?: MedicationResolver },
  k: MmeKnowledge,
  t: ToleranceTable,
): ToleranceStatus {
  let share = 0;
  const unknown: string[] = [];
  for (const order of input.records) {
    if (!isActiveUse(order) || (order.id && order.resourceType === 'MedicationRequest' && input.draftIds.has(order.id))) continue;
    const row = orderMme(order, false, identifyOpioid(order, input.resolve, k), k);
    if (!row || row.status === 'not-pain-opioid') continue;
    const start = startOf(order);
    if (start === undefined) {
      unknown.push(`${row.drug} (start date unknown)`);
      continue;
    }
    if ((input.now.getTime() - start) / DAY < t.minimumDays) continue;
    if (row.status !== 'counted' || !row.amounts) {
      unknown.push(`${row.drug} (${row.reason ?? 'not convertible'})`);
      continue;
    }
    for (const a of row.amounts) share += definitionShare(a.ingredient, a.route, a.value, a.unit, a.mme, t);
  }
  const percent = Math.round(share * 100);
  if (share >= 1) return { tolerant: true, text: `opioid-tolerant: current opioids for ${t.minimumDays} days or more reach the FDA definition (${percent}% of it)` };
  if (!input.medicationListKnown) return { tolerant: null, text: 'opioid tolerance could not be checked because the medication list was unavailable' };
  if (unknown.length) return { tolerant: null, text: `opioid tolerance could not be confirmed because ${unknown.join('; ')} could not be assessed` };
  return {
    tolerant: false,
    text:
      percent > 0
        ? `not opioid-tolerant; current opioids reach ${percent}% of the FDA definition`
        : `not opioid-tolerant; no opioid taken at the FDA-defined dose for ${t.minimumDays} days or more`,
  };
}

/** The label restriction that applies to this order, if any (first match in the table). */
export function toleranceRestriction(order: MedicationRequest, id: OpioidIdentification, k: MmeKnowledge, t: ToleranceTable): { label: string; source: string } | undefined {
  if (id.kind !== 'opioid' || id.oudTreatment) return undefined;
  const c = id.components[0]!;
  for (const r of t.restricted) {
    if (r.ingredient !== c.ingredient) continue;
    if (r.routes && !r.routes.includes(id.route)) continue;
    if (r.longActing !== undefined && r.longActing !== id.longActing) continue;
    if (r.formPattern && !new RegExp(r.formPattern, 'i').test(`${id.drug} ${id.doseForm}`)) continue;
    if (r.allStrengths) return { label: r.label, source: r.source };
    if (c.unit === 'mg' && r.strengthsMg?.includes(c.strength)) return { label: `${r.label} ${c.strength} mg`, source: r.source };
    const dosages = order.dosageInstruction ?? [];
    const single = Math.max(0, ...dosages.map((d) => {
      const q = doseOf(d);
      const a = q ? amountPerAdministration(q, c, id.combination) : undefined;
      return a && typeof a !== 'string' && a.unit === 'mg' ? a.value : 0;
    }));
    if (r.singleDoseAboveMg !== undefined && single > r.singleDoseAboveMg) return { label: `${r.label} at a single dose above ${r.singleDoseAboveMg} mg`, source: r.source };
    const daily = orderMme(order, true, id, k)?.amounts?.find((a) => a.ingredient === c.ingredient && a.unit === 'mg')?.value ?? 0;
    if (r.dailyDoseAboveMg !== undefined && daily > r.dailyDoseAboveMg) return { label: `${r.label} at a daily dose above ${r.dailyDoseAboveMg} mg`, source: r.source };
  }
  return undefined;
}
