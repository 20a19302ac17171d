import type { MmeSummary } from '../mme/index.js';

/**
 * Sentences of the MME cards, worded so that they never claim more than is known:
 * a total with an unconvertible order, or without the patient's medication list,
 * is "at least" that much, and an order whose MME is unknown is never said to add 0.
 */
const mme = (n: number) => `${Math.round(n * 10) / 10} MME/day`;

export function mmeTexts(summary: MmeSummary, medicationListKnown: boolean): Record<string, string> {
  const lowerBound = !summary.complete || !medicationListKnown;
  const totalText = `${lowerBound ? 'at least ' : ''}${mme(summary.total)}`;

  const before = `Before this order: ${summary.incomplete.some((o) => !o.isDraft) ? 'at least ' : ''}${mme(summary.existing)}`;
  let changeNote: string;
  if (!medicationListKnown) {
    changeNote = summary.draftsComplete
      ? `The patient's other opioids could not be checked (the medication list was unavailable): the total is at least what this call orders, ${mme(summary.total)}.`
      : "The patient's other opioids could not be checked (the medication list was unavailable), and this order's MME could not be computed.";
  } else if (!summary.draftsComplete) {
    changeNote = `${before}. This order's MME could not be computed, so what it adds is unknown.`;
  } else if (!summary.draftsCounted) {
    changeNote = `${before}. Buprenorphine in this order is not expressed in MME (partial agonist), so the total does not include it.`;
  } else {
    const change = summary.added > 0 ? `this order adds ${mme(summary.added)}` : summary.added < 0 ? `this order lowers it by ${mme(-summary.added)}` : 'this order does not change it';
    changeNote = `${before}; ${change}.`;
  }

  const unconverted = summary.incomplete.map((o) => `${o.drug} (${o.reason})`);
  const notes: string[] = [];
  if (unconverted.length) notes.push(`Incomplete total: not counted: ${unconverted.join('; ')}. The real total is higher than shown.`);
  if (!medicationListKnown) notes.push("Medication list unavailable: the patient's active opioid orders could not be read, so the total covers only the orders of this call.");
  const notComparableNote = summary.notComparable.length
    ? `Not in the total: ${summary.notComparable.map((o) => o.drug).join('; ')}. Buprenorphine is a partial agonist: CDC gives it no MME conversion, so its dose is not expressed in MME or added to the total.`
    : '';

  return {
    'mme.totalText': totalText,
    'mme.changeNote': changeNote,
    'mme.incompleteNote': notes.join('\n\n'),
    'mme.notComparableNote': notComparableNote,
  };
}
