import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import type { MedicationResolver } from '../medication.js';
import { isActiveUse } from '../medication.js';
import { identifyOpioid, orderMme, type MmeKnowledge } from '../mme/index.js';
import type { PeriodDesign, TrialDesign } from './careplan.js';
import type { Arm } from './trial.js';

/**
 * How a running N-of-1 trial's orders count toward the daily MME (issue 22).
 * A trial writes one MedicationRequest per drug period, all active from the
 * start, so summing them would count the same treatment several times and
 * both treatments at once. Counted conservatively instead:
 *
 * - the current period's supply is dispensed separately (recorded on its
 *   CarePlan activity): only the current period's order counts; nothing of
 *   the trial counts in a non-drug period;
 * - otherwise the patient may hold both supplies: the arm with the higher
 *   MME counts, once. When an arm's MME is unknown, one order of each arm
 *   counts (an upper bound; the total is then marked incomplete anyway);
 * - before the first and after the last period, with separate dispensing,
 *   the higher arm counts (what the patient might hold is not known).
 *
 * The other trial orders are left out of the records the MME summary reads.
 * Orders that are not the trial's are never touched.
 */

type Order = MedicationRequest | MedicationStatement;

export interface RunningTrial {
  readonly design: TrialDesign;
  /** CarePlan/<id>, for the note. */
  readonly ref: string;
}

export interface TrialMmeCount {
  readonly records: readonly Order[];
  /** One sentence per running trial with drug orders, for people; empty when none. */
  readonly notes: readonly string[];
}

/** The id of a MedicationRequest reference (relative, absolute or versioned). */
export const idOf = (reference: string | undefined) => reference?.replace(/^.*MedicationRequest\//, '').replace(/\/_history\/.*$/, '');

export function currentPeriod(design: TrialDesign, today: string): PeriodDesign | undefined {
  return design.periods.find((p) => p.start <= today && today <= p.end);
}

export function countTrialSupplies(records: readonly Order[], trials: readonly RunningTrial[], today: string, k: MmeKnowledge, resolve?: MedicationResolver): TrialMmeCount {
  const drop = new Set<Order>();
  const notes: string[] = [];
  for (const { design } of trials) {
    const armOf = new Map<string, Arm>();
    for (const p of design.periods) {
      const id = idOf(p.medicationRequest);
      if (id) armOf.set(id, p.arm);
    }
    const own = records.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest' && isActiveUse(r) && r.id !== undefined && armOf.has(r.id));
    if (own.length === 0) continue;
    const period = currentPeriod(design, today);
    // Blinded: never the arm letter, which with the treatments named elsewhere would tell which drug this period is.
    const name = (arm: Arm) => (design.blinded ? 'the trial treatment (blinded)' : `${arm}: ${design.arms[arm].label}`);
    if (period?.dispensedSeparately) {
      const keep = idOf(period.medicationRequest);
      for (const r of own) if (r.id !== keep) drop.add(r);
      notes.push(
        keep && own.some((r) => r.id === keep)
          ? `N-of-1 trial: each period's supply is dispensed separately, so only the current period's order (period ${period.index + 1}, ${name(period.arm)}) is counted in the total.`
          : `N-of-1 trial: each period's supply is dispensed separately and the current period (${period.index + 1}) has no trial drug order, so no trial order is counted.`,
      );
      continue;
    }
    const mmeOf = (r: MedicationRequest) => orderMme(r, false, identifyOpioid(r, resolve, k), k);
    const perArm = (['A', 'B'] as const).map((arm) => {
      const orders = own.filter((r) => armOf.get(r.id!) === arm);
      const rows = orders.map((r) => ({ r, row: mmeOf(r) }));
      const known = rows.every((x) => !x.row || x.row.status === 'counted' || x.row.status === 'not-pain-opioid');
      const mme = Math.max(0, ...rows.map((x) => (x.row?.status === 'counted' ? x.row.mme ?? 0 : 0)));
      // The order that stands for the arm: the current period's when it is of this arm, else the one with the highest MME.
      const current = orders.find((r) => r.id === idOf(period?.medicationRequest));
      const best = current ?? [...rows].sort((a, b) => (b.row?.mme ?? 0) - (a.row?.mme ?? 0))[0]?.r;
      return { arm, orders, known, mme, best };
    });
    const present = perArm.filter((a) => a.orders.length > 0);
    if (present.some((a) => !a.known)) {
      for (const a of present) for (const r of a.orders) if (r !== a.best) drop.add(r);
      notes.push('N-of-1 trial: the patient may hold both supplies and one arm\'s MME is unknown, so one order of each arm is counted (an upper bound).');
      continue;
    }
    const higher = [...present].sort((a, b) => b.mme - a.mme)[0]!;
    for (const r of own) if (r !== higher.best) drop.add(r);
    const why = period ? 'the patient may hold both supplies' : 'the trial is not in one of its periods today';
    notes.push(`N-of-1 trial: ${why}, so the arm with the higher dose (${name(higher.arm)}, ${higher.mme} MME/day) is counted once instead of every period's order.`);
  }
  return { records: drop.size ? records.filter((r) => !drop.has(r)) : records, notes };
}
