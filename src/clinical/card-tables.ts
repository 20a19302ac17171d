/**
 * The tables pain-management cards show, as column definitions: the rule
 * layer builds the markdown (escaping every cell), the clinical layer says
 * what the columns are. Registered with the rule layer by src/pipeline/pain-domain.ts.
 */
export interface CardTable {
  readonly columns: readonly { readonly header: string; readonly cell: (row: Readonly<Record<string, unknown>>) => unknown }[];
}

export const CARD_TABLES: Readonly<Record<string, CardTable>> = {
  /** Per-order MME breakdown (items of the `mme.orders` fact). */
  mmeTable: {
    columns: [
      { header: 'Order', cell: (o) => `${String(o.drug)}${o.isDraft ? ' (this order)' : ''}` },
      { header: 'Sig', cell: (o) => o.sig },
      { header: 'Daily amount', cell: (o) => o.dailyAmount },
      { header: 'Factor', cell: (o) => o.factor },
      { header: 'MME/day', cell: (o) => o.mme },
    ],
  },
  /** Drug-by-drug CYP2D6 impact (items of the `cyp2d6.analgesics` fact). */
  analgesicTable: {
    columns: [
      { header: 'Analgesic', cell: (a) => a.drug },
      { header: 'Affected by CYP2D6 here', cell: (a) => (a.affected === true ? 'yes' : a.affected === false ? 'no' : 'unknown') },
      { header: 'CPIC advice', cell: (a) => a.advice },
    ],
  },
  /** The whole-person dials (items of the `pro.dials` fact): never measured says so, dated values say they are dated. */
  dialTable: {
    columns: [
      { header: 'Dimension', cell: (d) => d.dimension },
      { header: 'Latest', cell: (d) => d.text },
      { header: 'Last year', cell: (d) => (d.status === 'never' ? '' : d.change) },
    ],
  },
  /** Non-drug options of the dials turned up (items of the `pro.nonDrugOptions` fact). */
  nonDrugTable: {
    columns: [
      { header: 'Turned up', cell: (o) => o.dimension },
      { header: 'Option to discuss', cell: (o) => o.option },
      { header: 'Evidence', cell: (o) => o.evidence },
      { header: 'Source', cell: (o) => o.source },
    ],
  },
  /** Active Goal Attainment Scaling goals (items of the `goals.gasGoals` fact): the goal, its expected outcome in the patient's words, the latest level and who scored it. */
  goalTable: {
    columns: [
      { header: 'Goal', cell: (g) => g.goal },
      { header: 'Expected outcome (0)', cell: (g) => g.expected },
      { header: 'Latest level', cell: (g) => g.latest },
      { header: 'Scored', cell: (g) => (g.date ? `${String(g.date)} by the ${String(g.rater)}` : '') },
      { header: 'Due', cell: (g) => g.due },
    ],
  },
};
