import type { Dosage, MedicationRequest, MedicationStatement } from 'fhir/r4';
import { tableCitation } from '../../knowledge/table.js';
import { conceptText, isActiveUse, medicationOf, rxnormCodes, type MedicationResolver } from '../medication.js';
import { dailyAmount, describeSig } from './daily-dose.js';
import { identifyOpioid, routeOf, type OpioidComponent, type OpioidIdentification, type Route } from './identify.js';
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
  /**
   * counted: in the total. incomplete: should count but could not be converted (the total
   * is then a lower bound). not-comparable: a pain opioid the factor tables deliberately
   * leave out (buprenorphine, a partial agonist): listed, not in the total, and not a
   * reason to call the total incomplete. not-pain-opioid: opioid use disorder treatment.
   */
  readonly status: 'counted' | 'incomplete' | 'not-comparable' | 'not-pain-opioid';
  readonly reason?: string;
  /** Daily amount per opioid component, for the opioid-tolerance check (counted orders only). */
  readonly amounts?: readonly { readonly ingredient: string; readonly route: Route; readonly value: number; readonly unit: 'mg' | 'mcg/h' | 'mcg'; readonly mme: number }[];
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
  /** Pain opioids listed but deliberately left out of the total (buprenorphine). */
  readonly notComparable: readonly OrderMme[];
  /** No draft of this call is unconvertible (its amount known, or deliberately left out). */
  readonly draftsComplete: boolean;
  /** Every pain-opioid draft of this call is in the total (so `added` is all the drafts add). */
  readonly draftsCounted: boolean;
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
  const left = leftOut(identification.kind === 'unresolved' ? identification.ingredient : identification.components[0]?.ingredient, k);
  if (left) return { ...base, ingredient: identification.kind === 'unresolved' ? (identification.ingredient ?? null) : identification.components[0]!.ingredient, dailyAmount: null, factor: null, factorSet: null, mme: null, longActing: identification.kind === 'opioid' && identification.longActing, status: 'not-comparable', reason: left };
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
  if (parenteralDosage(dosages)) return incomplete('an injected, parenteral dose: the CDC conversion factors are for oral use');
  let mme = 0;
  const amounts: string[] = [];
  const parts: { ingredient: string; route: Route; value: number; unit: 'mg' | 'mcg/h' | 'mcg'; mme: number }[] = [];
  const factors: number[] = [];
  const sets = new Set<string>();
  for (const c of identification.components) {
    const amount = dailyAmount(dosages, c, identification.combination);
    if (!amount.ok) return incomplete(amount.reason, c.ingredient);
    const f = findFactor(c, identification.route, amount.unit, k);
    if ('reason' in f) return incomplete(f.reason, c.ingredient);
    const value = amount.value * f.scale;
    mme += value * f.factor;
    amounts.push(`${round1(value)} ${f.per}`);
    parts.push({ ingredient: c.ingredient, route: identification.route, value: amount.value, unit: amount.unit, mme: value * f.factor });
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
    amounts: parts,
  };
}

/** SNOMED CT routes that are parenteral (intravenous, intramuscular, subcutaneous, epidural, intrathecal). */
const PARENTERAL_ROUTES = new Set(['47625008', '78421000', '34206005', '404820008', '72607000']);

/** The order's own route says injection, whatever the product name says. */
function parenteralDosage(dosages: readonly Dosage[] | undefined): boolean {
  return (dosages ?? []).some((d) => {
    const route = d.route;
    if (!route) return false;
    if ((route.coding ?? []).some((c) => c.code !== undefined && PARENTERAL_ROUTES.has(c.code))) return true;
    return routeOf(conceptText(route)) === 'injection';
  });
}

type Found = { factor: number; per: 'mg' | 'mcg/h' | 'mcg'; scale: number; set: string } | { reason: string };

/** Why a pain opioid is deliberately left out of every active factor set (buprenorphine), if it is. */
function leftOut(ingredient: string | undefined, k: MmeKnowledge): string | undefined {
  if (!ingredient) return undefined;
  for (const set of k.factorSets) {
    const n = set.data.notConverted.find((x) => x.ingredient === ingredient);
    if (n?.comparable === false) return n.reason;
  }
  return undefined;
}

/**
 * The factor for one component: fentanyl by its route or transmucosal form, anything
 * injected only with a parenteral row (none ships: it is then incomplete), others by
 * their oral row. A daily amount in mg meets a per-mcg row by x 1000.
 */
function findFactor(c: OpioidComponent, route: Route, unit: 'mg' | 'mcg/h' | 'mcg', k: MmeKnowledge): Found {
  const wantedRoute = unit === 'mcg/h' ? 'transdermal' : route === 'injection' ? 'parenteral' : c.ingredient === 'fentanyl' ? route : undefined;
  const scales: readonly ['mg' | 'mcg/h' | 'mcg', number][] = unit === 'mg' ? [['mg', 1], ['mcg', 1000]] : unit === 'mcg' ? [['mcg', 1], ['mg', 0.001]] : [['mcg/h', 1]];
  for (const set of k.factorSets) {
    const excluded = set.data.notConverted.find((n) => n.ingredient === c.ingredient);
    if (excluded) return { reason: excluded.reason };
    for (const [per, scale] of scales) {
      const hit = set.data.factors.find((f) => f.ingredient === c.ingredient && f.per === per && (f.route ?? undefined) === wantedRoute);
      if (hit) return { factor: hit.factor, per, scale, set: tableCitation(set.meta) };
    }
  }
  if (wantedRoute === 'parenteral') return { reason: `an injected, parenteral product: the CDC conversion factors are for oral use` };
  return { reason: `the CDC tables give no conversion factor for ${c.ingredient}${wantedRoute ? ` by the ${wantedRoute} route` : ''}` };
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
    notComparable: rows.filter((r) => r.status === 'not-comparable'),
    draftsComplete: !rows.some((r) => r.isDraft && r.status === 'incomplete'),
    draftsCounted: !rows.some((r) => r.isDraft && r.status !== 'counted'),
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
