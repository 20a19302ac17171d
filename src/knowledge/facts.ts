/**
 * The contract between the clinical fact producers and the rule layer: what a
 * fact is (name, scope, type, unit, example) and what one hook call's facts
 * look like. The catalog itself is clinical (src/clinical/facts/catalog.ts).
 */
export type FactType = 'number' | 'string' | 'boolean' | 'list' | 'object';

export interface FactDefinition {
  readonly name: string;
  readonly scope: 'patient' | 'order';
  readonly type: FactType;
  readonly description: string;
  /** A typical value: used to render every template in the contract test and `rules:check`. */
  readonly example: unknown;
  /** Unit of a number (MME/day, days, years), checked against the parameters it is compared with. */
  readonly unit?: string;
  /** The longest realistic value (when longer than the example): `rules:check` renders every card with these to find summaries the runtime would cut. */
  readonly longest?: unknown;
}

/** Facts for one hook call: patient-level facts, and one set per order under consideration. */
export interface FactSnapshot {
  readonly patient: Readonly<Record<string, unknown>>;
  readonly orders: readonly { readonly ref: string; readonly facts: Readonly<Record<string, unknown>> }[];
  /** `id@version` of every knowledge table that produced these facts. */
  readonly dataVersions: readonly string[];
}
