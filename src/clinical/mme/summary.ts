import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import { tableCitation } from '../../rules/knowledge-table.js';
import { isActiveUse, medicationOf, rxnormCodes, type MedicationResolver } from '../medication.js';
import { dailyAmount, describeSig } from './daily-dose.js';
import { identifyOpioid, type OpioidComponent, type OpioidIdentification, type Route } from './identify.js';
import type { MmeKnowledge } from './tables.js';

/**
 * Total daily MME over the draft orders of this call and the patient's active
 * outpatient opioid orders, each order once. Anything that cannot be converted
 * is listed with its reason and makes the total incomplete: never counted as 0.
 */
export interface OrderMme {
  readonly ref: string;
  readonly isDraft: boolean;
  readonly drug: string;
  readonly ingredient: string | null;
  readonly sig: string;
  /** "40 mg", "75 mcg/h"; null when not computable. */
  readonly dailyAmount: string | null;
  readonly factor: number | null;
  readonly factorSet: string | null;
  readonly mme: number | null;
  readonly prn: boolean;
  readonly longActing: boolean;
  readonly status: 'counted' | 'incomplete' | 'not-pain-opioid';
  readonly reason?: string;
}

export interface MmeSummary {
  /** Sum of what could be counted (a lower bound when incomplete). */
  readonly total: number;
  /** Active orders before this call. */
  readonly existing: number;
  readonly added: number;
  readonly complete: boolean;
  /** Orders that count toward the total, and those that should but could not be converted. */
  readonly orders: readonly OrderMme[];
  readonly incomplete: readonly OrderMme[];
  readonly painOpioidDrafts: number;
  readonly painOpioidActive: number;
  readonly factorSets: readonly string[];
}

type Order = MedicationRequest | MedicationStatement;

const round1 = (n: number) => Math.round(n * 10) / 10;

export function orderMme(order: Order, isDraft: boolean, identification: OpioidIdentification, k: MmeKnowledge): OrderMme | undefined {
  if (identification.kind === 'not-opioid') return undefined;
  const ref = `${order.resourceType}/${order.id ?? 'unidentified'}`;
  const dosages = order.resourceType === 'MedicationRequest' ? order.dosageInstruction : order.dosage;
  const base = { ref, isDraft, drug: identification.drug, sig: describeSig(dosages), prn: dosages?.some((d) => d.asNeededBoolean || d.asNeededCodeableConcept) ?? false };
  if (identification.oudTreatment) {
    return { ...base, ingredient: 'buprenorphine', dailyAmount: null, factor: null, factorSet: null, mme: null, longActing: false, status: 'not-pain-opioid', reason: 'buprenorphine for opioid use disorder' };
  }
  if (identification.kind === 'unresolved') {
    return { ...base, ingredient: identification.ingredient ?? null, dailyAmount: null, factor: null, factorSet: null, mme: null, longActing: false, status: 'incomplete', reason: identification.reason };
  }
  const incomplete = (reason: string, ingredient: string | null = identification.components[0]?.ingredient ?? null): OrderMme => ({
    ...base,
    ingredient,
    dailyAmount: null,
    factor: null,
    factorSet: null,
    mme: null,
    longActing: identification.longActing,
    status: 'incomplete',
    reason,
  });
  let mme = 0;
  const amounts: string[] = [];
  const factors: number[] = [];
  const sets = new Set<string>();
  for (const c of identification.components) {
    const amount = dailyAmount(dosages, c, identification.combination);
    if (!amount.ok) return incomplete(amount.reason, c.ingredient);
    const f = findFactor(c, identification.route, amount.unit, k);
    if ('reason' in f) return incomplete(f.reason, c.ingredient);
    mme += amount.value * f.factor;
    amounts.push(`${round1(amount.value)} ${amount.unit}`);
    factors.push(f.factor);
    sets.add(f.set);
  }
  return {
    ...base,
    ingredient: identification.components[0]!.ingredient,
    dailyAmount: amounts.join(' + '),
    factor: factors.length === 1 ? factors[0]! : null,
    factorSet: [...sets].join(', '),
    mme: round1(mme),
    longActing: identification.longActing,
    status: 'counted',
  };
}

function findFactor(c: OpioidComponent, route: Route, unit: 'mg' | 'mcg/h' | 'mcg', k: MmeKnowledge): { factor: number; set: string } | { reason: string } {
  const per = unit;
  const wantedRoute = unit === 'mcg/h' ? 'transdermal' : c.ingredient === 'fentanyl' ? route : undefined;
  for (const set of k.factorSets) {
    const hit = set.data.factors.find((f) => f.ingredient === c.ingredient && f.per === per && (f.route ?? undefined) === wantedRoute);
    if (hit) return { factor: hit.factor, set: tableCitation(set.meta) };
    const excluded = set.data.notConverted.find((n) => n.ingredient === c.ingredient);
    if (excluded) return { reason: excluded.reason };
  }
  return { reason: `no ${c.ingredient}${wantedRoute ? ` (${wantedRoute})` : ''} conversion factor in ${k.factorSets.map((s) => tableCitation(s.meta)).join(', ')}` };
}

export interface MmeInput {
  readonly draftOrders: readonly MedicationRequest[];
  readonly records: readonly Order[];
  readonly resolveMedication?: MedicationResolver;
}

export function computeMmeSummary(input: MmeInput, k: MmeKnowledge): MmeSummary {
  const draftIds = new Set(input.draftOrders.map((d) => d.id).filter(Boolean));
  const replaced = new Set(
    input.draftOrders.map((d) => d.priorPrescription?.reference?.replace(/^.*MedicationRequest\//, '')).filter((id): id is string => Boolean(id)),
  );
  const rows: OrderMme[] = [];
  let existing = 0;
  let total = 0;
  let painOpioidActive = 0;
  const requestIds = new Set(input.records.filter((r) => r.resourceType === 'MedicationRequest' && isActiveUse(r)).map((r) => `MedicationRequest/${r.id}`));
  const requestCodes = new Set(
    input.records.filter((r) => r.resourceType === 'MedicationRequest' && isActiveUse(r)).flatMap((r) => rxnormCodes(medicationOf(r, input.resolveMedication).concept)),
  );
  for (const order of input.records) {
    if (!isActiveUse(order)) continue;
    // A statement that reports an active order (basedOn, or the same product) is not a second order.
    if (order.resourceType === 'MedicationStatement') {
      if ((order.basedOn ?? []).some((b) => b.reference && requestIds.has(b.reference.replace(/^.*(MedicationRequest\/)/, '$1')))) continue;
      if (rxnormCodes(medicationOf(order, input.resolveMedication).concept).some((c) => requestCodes.has(c))) continue;
    }
    // The same order seen as a draft counts once, as the draft.
    if (order.resourceType === 'MedicationRequest' && order.id && draftIds.has(order.id)) continue;
    const row = orderMme(order, false, identifyOpioid(order, input.resolveMedication, k), k);
    if (!row || row.status === 'not-pain-opioid') continue;
    painOpioidActive++;
    existing += row.mme ?? 0;
    if (order.resourceType === 'MedicationRequest' && order.id && replaced.has(order.id)) continue;
    total += row.mme ?? 0;
    rows.push(row);
  }
  let painOpioidDrafts = 0;
  for (const draft of input.draftOrders) {
    const row = orderMme(draft, true, identifyOpioid(draft, input.resolveMedication, k), k);
    if (!row || row.status === 'not-pain-opioid') continue;
    painOpioidDrafts++;
    total += row.mme ?? 0;
    rows.push(row);
  }
  rows.sort((a, b) => Number(b.isDraft) - Number(a.isDraft));
  const incomplete = rows.filter((r) => r.status === 'incomplete');
  return {
    total: round1(total),
    existing: round1(existing),
    added: round1(total - existing),
    complete: incomplete.length === 0,
    orders: rows,
    incomplete,
    painOpioidDrafts,
    painOpioidActive,
    factorSets: k.factorSets.map((s) => tableCitation(s.meta)),
  };
}
