import type { MmeSummary } from '../mme/index.js';

/**
 * Sentences of the MME cards, worded so that they never claim more than is known:
 * a total with an unconvertible order, or without the patient's medication list,
 * is "at least" that much, and an order whose MME is unknown is never said to add 0.
 */
/**
 * MME for people, rounded as the card formatter `mme` rounds (src/rules/placeholders.ts):
 * whole numbers from 10 up, two decimals below 10; a unit test keeps the two equal.
 */
export function formatMme(n: number): string {
  const rounded = Math.abs(n) >= 10 ? Math.round(n) : Math.round(n * 100) / 100;
  return `${rounded.toLocaleString('en-US')} MME/day`;
}
const mme = formatMme;

/** Sentence for a patient on buprenorphine for opioid use disorder (never called opioid-naive). */
export function oudBuprenorphineNote(drugs: readonly string[]): string {
  return drugs.length
    ? `This patient is on buprenorphine for opioid use disorder (${drugs.join('; ')}). It is not counted in MME: buprenorphine is a partial agonist that blocks other opioids, so full-agonist pain relief may be weaker than expected. Coordinate pain treatment with the OUD prescriber.`
    : '';
}

export function mmeTexts(summary: MmeSummary, medicationListKnown: boolean, oudBuprenorphine: readonly string[] = []): Record<string, string> {
  const lowerBound = !summary.complete || !medicationListKnown;
  // A lower bound of 0 says nothing: the total could not be computed.
  const totalText = lowerBound && summary.total === 0 ? 'could not be computed' : `${lowerBound ? 'at least ' : ''}${mme(summary.total)}`;

  const existingLowerBound = summary.incomplete.some((o) => !o.isDraft);
  const fromPain = oudBuprenorphine.length ? ' from pain opioids' : '';
  const before =
    existingLowerBound && summary.existing === 0
      ? 'Before this order: the total could not be computed'
      : `Before this order: ${existingLowerBound ? 'at least ' : ''}${mme(summary.existing)}${fromPain}`;
  let changeNote: string;
  if (!medicationListKnown) {
    changeNote = summary.draftsComplete
      ? `The patient's other opioids could not be checked (the medication list was unavailable): the total is at least what is being ordered now, ${mme(summary.total)}.`
      : "The patient's other opioids could not be checked (the medication list was unavailable), and this order's MME could not be computed.";
  } else if (!summary.draftsComplete) {
    changeNote = `${before}. This order's MME could not be computed, so what it adds is unknown.`;
  } else if (!summary.draftsCounted) {
    changeNote = `${before}. Buprenorphine in this order is not expressed in MME (partial agonist), so the total does not include it.`;
  } else {
    const change = summary.added > 0 ? `this order adds ${mme(summary.added)}` : summary.added < 0 ? `this order lowers it by ${mme(-summary.added)}` : 'this order does not change it';
    changeNote = `${before}; ${change}.`;
  }
  if (oudBuprenorphine.length) changeNote = `${changeNote} ${oudBuprenorphineNote(oudBuprenorphine)}`;

  const unconverted = summary.incomplete.map((o) => `${o.drug} (${o.reason})`);
  const notes: string[] = [];
  if (unconverted.length) notes.push(`Not counted in the total: ${unconverted.join('; ')}. The real total is higher than shown.`);
  if (!medicationListKnown) notes.push("Medication list unavailable: the patient's active opioid orders could not be read, so the total covers only what is being ordered now.");
  const notComparableNote = summary.notComparable.length
    ? `Not in the total: ${summary.notComparable.map((o) => o.drug).join('; ')}. Buprenorphine is a partial agonist: CDC gives it no MME conversion, so it is not added to the total.`
    : '';

  return {
    'mme.totalText': totalText,
    'mme.incompleteSummary': totalText === 'could not be computed' ? 'the total could not be computed' : `${totalText}, not fully computed`,
    'mme.changeNote': changeNote,
    'mme.incompleteNote': notes.join('\n\n'),
    'mme.notComparableNote': notComparableNote,
  };
}
