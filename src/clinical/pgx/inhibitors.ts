import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import { conceptText, isActiveUse, medicationOf, rxnormCodes, type MedicationResolver } from '../medication.js';
import type { InhibitorTable } from './tables.js';

/** Active CYP2D6 inhibitors among the patient's medications (by RxNorm ingredient code, product (SCD/SBD) code from the table, or ingredient or brand name). */
export interface InhibitorInUse {
  readonly name: string;
  readonly strength: 'strong' | 'moderate';
  readonly note?: string;
  readonly medicationRef?: string;
}

const compiled = new WeakMap<InhibitorTable, { inhibitor: InhibitorTable['inhibitors'][number]; name: RegExp; codes: ReadonlySet<string> }[]>();

function matchers(table: InhibitorTable) {
  let list = compiled.get(table);
  if (!list) {
    list = table.inhibitors.map((inhibitor) => ({
      inhibitor,
      name: new RegExp(`\\b(${[inhibitor.name, ...inhibitor.brands].map((n) => n.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`),
      codes: new Set([...(inhibitor.rxnorm ? [inhibitor.rxnorm] : []), ...inhibitor.products.map((p) => p.rxnorm)]),
    }));
    compiled.set(table, list);
  }
  return list;
}

export function findInhibitors(
  medications: readonly (MedicationRequest | MedicationStatement)[],
  table: InhibitorTable,
  resolveMedication?: MedicationResolver,
): InhibitorInUse[] {
  const found = new Map<string, InhibitorInUse>();
  for (const med of medications) {
    if (!isActiveUse(med)) continue;
    const { concept } = medicationOf(med, resolveMedication);
    if (!concept) continue;
    const codes = new Set(rxnormCodes(concept));
    const text = conceptText(concept).toLowerCase();
    for (const { inhibitor, name, codes: known } of matchers(table)) {
      const byCode = [...codes].some((c) => known.has(c));
      const byName = name.test(text);
      if ((byCode || byName) && !found.has(inhibitor.name)) {
        found.set(inhibitor.name, {
          name: inhibitor.name,
          strength: inhibitor.strength,
          ...(inhibitor.note ? { note: inhibitor.note } : {}),
          ...(med.id ? { medicationRef: `${med.resourceType}/${med.id}` } : {}),
        });
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.strength === b.strength ? a.name.localeCompare(b.name) : a.strength === 'strong' ? -1 : 1));
}
