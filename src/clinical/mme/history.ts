import type { MedicationRequest } from 'fhir/r4';
import type { MedicationResolver } from '../medication.js';
import { durationDays } from './daily-dose.js';
import { identifyOpioid } from './identify.js';
import { orderMme } from './summary.js';
import type { MmeKnowledge } from './tables.js';

/**
 * Total daily MME at the end of each of the last months, from the patient's
 * opioid orders of any status (the SMART app's dose chart). An order counts
 * from its start to its end: its validity period's end, or the supply it
 * allows (expected supply duration x fills), or today while it is active.
 * Unknown stays unknown: an order whose MME or end cannot be worked out marks
 * the months it may cover as incomplete, and is listed with the reason.
 */
export interface MonthlyMme {
  /** YYYY-MM */
  readonly month: string;
  /** Sum of what could be counted (a lower bound when incomplete). */
  readonly mme: number;
  readonly complete: boolean;
}

export interface MmeHistory {
  readonly months: readonly MonthlyMme[];
  readonly unknown: readonly { readonly ref: string; readonly drug: string; readonly reason: string }[];
}

const DAY_MS = 86_400_000;
const NEVER_TAKEN = new Set(['cancelled', 'entered-in-error', 'draft']);

function parseDate(text: string | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * When an order ran, in ms: end null while it is active; start or end
 * undefined when they cannot be known, with the problem said.
 */
interface Span {
  readonly start?: number;
  readonly end?: number | null;
  readonly problem?: string;
}

function spanOf(order: MedicationRequest, now: number): Span {
  const dispense = order.dispenseRequest;
  const start = parseDate(dispense?.validityPeriod?.start) ?? parseDate(order.authoredOn);
  if (start === undefined) return { problem: 'no date when the order started' };
  if (order.status === 'active') return { start, end: null };
  const validUntil = parseDate(dispense?.validityPeriod?.end);
  if (validUntil !== undefined) return { start, end: Math.min(validUntil, now) };
  const supplyDays = durationDays(dispense?.expectedSupplyDuration);
  const refills = typeof dispense?.numberOfRepeatsAllowed === 'number' && dispense.numberOfRepeatsAllowed > 0 ? dispense.numberOfRepeatsAllowed : 0;
  if (supplyDays !== undefined) return { start, end: start + supplyDays * (1 + refills) * DAY_MS };
  return { start, problem: `${order.status ?? 'no status'}, with no end date or supply duration` };
}

/** Unknown bounds are open: the order may have been taken then. */
const covers = (span: Span, t: number) => (span.start === undefined || span.start <= t) && (span.end === undefined || span.end === null || t < span.end);

export function mmeHistory(orders: readonly MedicationRequest[], now: Date, k: MmeKnowledge, resolve?: MedicationResolver, monthCount = 6): MmeHistory {
  const at = now.getTime();
  // The last moment of each month (now, for the current one), oldest first.
  const points = Array.from({ length: monthCount }, (_, i) => {
    const monthEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (monthCount - 1 - i) + 1, 0, 23, 59, 59);
    return { month: new Date(monthEnd).toISOString().slice(0, 7), at: Math.min(monthEnd, at), mme: 0, complete: true };
  });
  const unknown: { ref: string; drug: string; reason: string }[] = [];

  for (const order of orders) {
    if (order.resourceType !== 'MedicationRequest' || NEVER_TAKEN.has(order.status)) continue;
    const row = orderMme(order, false, identifyOpioid(order, resolve, k), k);
    // Buprenorphine for pain has no MME by design (CDC 2022): it neither counts nor makes a month unknown.
    if (!row || row.status === 'not-pain-opioid' || row.status === 'not-comparable') continue;
    const span = spanOf(order, at);
    const covered = points.filter((p) => covers(span, p.at));
    if (covered.length === 0) continue;
    const reason = span.problem ?? (row.mme === null ? (row.reason ?? 'MME not computable') : undefined);
    if (reason) unknown.push({ ref: row.ref, drug: row.drug, reason });
    for (const p of covered) {
      if (reason || row.mme === null) p.complete = false;
      else p.mme += row.mme;
    }
  }
  return { months: points.map(({ month, mme, complete }) => ({ month, mme: Math.round(mme * 10) / 10, complete })), unknown };
}
