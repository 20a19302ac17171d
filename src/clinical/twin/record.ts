import type { Condition, MedicationRequest, MedicationStatement, Observation } from 'fhir/r4';
import { isActiveUse, type MedicationResolver } from '../medication.js';
import { findInhibitors, type InhibitorTable } from '../pgx/index.js';
import type { PkModelTable } from './models.js';

/**
 * What the what-if view takes from the record about kidney and liver function:
 * the latest final eGFR (LOINC codes in pk-models.json `record.eGFR`) and
 * cirrhosis conditions (`record.cirrhosis`). Unreadable parts of the record are
 * `known: false`, never "none". The twin applies neither (no cited model has them
 * as covariates): they are shown with each model's stated limit.
 */
export interface TwinRecordFacts {
  readonly eGFR: { readonly known: boolean; readonly value: number | null; readonly unit: string | null; readonly date: string | null; readonly code: string | null; readonly display: string | null };
  readonly liver: { readonly known: boolean; readonly status: 'cirrhosis' | 'none-recorded' | 'unknown'; readonly conditions: readonly string[] };
  /** Active CYP2D6 inhibitors by name (as the what-if request takes them); known false when the medication lists could not be read. */
  readonly inhibitors: { readonly known: boolean; readonly names: readonly string[] };
  readonly codes: { readonly eGFR: readonly string[]; readonly cirrhosis: readonly string[] };
}

const FINAL = new Set(['final', 'amended', 'corrected']);
const INACTIVE = new Set(['inactive', 'resolved', 'remission']);

function eGFRFrom(observations: readonly Observation[], rec: PkModelTable['record']['eGFR']) {
  const matching = observations
    .filter((o) => FINAL.has(o.status) && typeof o.valueQuantity?.value === 'number')
    .map((o) => ({ o, coding: o.code.coding?.find((c) => c.system === rec.system && c.code && rec.codes.includes(c.code)) }))
    .filter((m) => m.coding)
    .map((m) => ({ ...m, date: m.o.effectiveDateTime ?? m.o.effectivePeriod?.end ?? m.o.issued ?? '' }))
    .sort((a, b) => b.date.localeCompare(a.date));
  const latest = matching[0];
  if (!latest) return null;
  return { value: latest.o.valueQuantity!.value!, unit: latest.o.valueQuantity!.unit ?? latest.o.valueQuantity!.code ?? rec.unit, date: latest.date ? latest.date.slice(0, 10) : null, code: latest.coding!.code!, display: latest.coding!.display ?? latest.o.code.text ?? null };
}

function isCirrhosis(c: Condition, codes: PkModelTable['record']['cirrhosis']['codes']): boolean {
  const status = c.clinicalStatus?.coding?.[0]?.code;
  if (status && INACTIVE.has(status)) return false;
  if (c.verificationStatus?.coding?.some((v) => v.code === 'refuted' || v.code === 'entered-in-error')) return false;
  return (c.code?.coding ?? []).some((coding) => codes.some((k) => coding.system === k.system && coding.code !== undefined && (k.match === 'exact' ? coding.code === k.code : coding.code.startsWith(k.code))));
}

export interface TwinRecordInput {
  readonly observations: readonly Observation[];
  readonly conditions: readonly Condition[];
  readonly medicationRequests: readonly MedicationRequest[];
  readonly medicationStatements: readonly MedicationStatement[];
  readonly resolveMedication?: MedicationResolver;
  readonly unavailable: readonly { key: string }[];
}

export function twinRecordFacts(input: TwinRecordInput, table: PkModelTable, inhibitorTable: InhibitorTable): TwinRecordFacts {
  const unreadable = new Set(input.unavailable.map((u) => u.key));
  const labsKnown = !unreadable.has('observations');
  const conditionsKnown = !unreadable.has('conditions');
  const e = eGFRFrom(input.observations, table.record.eGFR);
  const active = [...input.medicationRequests, ...input.medicationStatements].filter(isActiveUse);
  const inhibitors = findInhibitors(active, inhibitorTable, input.resolveMedication).map((i) => i.name);
  const medsKnown = !unreadable.has('medicationRequests') && !unreadable.has('medicationStatements');
  const cirrhosis = input.conditions.filter((c) => isCirrhosis(c, table.record.cirrhosis.codes));
  return {
    eGFR: { known: labsKnown || e !== null, value: e?.value ?? null, unit: e?.unit ?? null, date: e?.date ?? null, code: e?.code ?? null, display: e?.display ?? null },
    liver: {
      known: conditionsKnown || cirrhosis.length > 0,
      status: cirrhosis.length > 0 ? 'cirrhosis' : conditionsKnown ? 'none-recorded' : 'unknown',
      conditions: cirrhosis.map((c) => c.code?.text ?? c.code?.coding?.[0]?.display ?? c.code?.coding?.[0]?.code ?? 'cirrhosis'),
    },
    inhibitors: { known: medsKnown, names: [...new Set(inhibitors)] },
    codes: { eGFR: table.record.eGFR.codes, cirrhosis: table.record.cirrhosis.codes.map((c) => `${c.system}|${c.code}${c.match === 'prefix' ? '*' : ''}`) },
  };
}
