import type { FactDefinition } from '../../knowledge/facts.js';

/**
 * Every fact a rule or card template may name, with its type and a typical
 * value. Rules read these values only; they never see FHIR. Facts ending in
 * `Note` are ready-made sentences for card detail, empty when not applicable.
 * Documented for informaticists in rules/README.md.
 */
const patient = (name: string, type: FactDefinition['type'], description: string, example: unknown): FactDefinition => ({
  name,
  scope: 'patient',
  type,
  description,
  example,
});
const order = (name: string, type: FactDefinition['type'], description: string, example: unknown): FactDefinition => ({
  name,
  scope: 'order',
  type,
  description,
  example,
});

const FACTS: readonly FactDefinition[] = [
  patient('patient.ageYears', 'number', 'Age in whole years at the time of the call (null when no birth date).', 45),
  patient('patient.tonsillectomy', 'boolean', 'A tonsillectomy or adenoidectomy is on record (procedure or indication).', false),
  patient('patient.breastfeeding', 'boolean', 'Breastfeeding or lactation is recorded.', false),
  patient('data.checksMissing', 'boolean', 'Some prefetch data could not be had, so some safety checks were not done.', false),
  patient('data.unavailableKeys', 'list', 'Prefetch keys that could not be had (patient, medicationRequests, medicationStatements, conditions, observations, procedures, detectedIssues).', []),
  patient('data.unavailable', 'list', 'What could not be checked, for people.', []),
  patient('data.unavailableNote', 'string', 'Sentence naming the data that could not be checked (empty when all was available).', ''),

  patient('cyp2d6.hasResult', 'boolean', 'A final CYP2D6 result (genotype or phenotype) is on file.', true),
  patient('cyp2d6.diplotype', 'string', 'Normalised diplotype, e.g. *1/*4 (null for phenotype-only results).', '*4/*4'),
  patient('cyp2d6.basis', 'string', 'What the phenotype rests on, for people: "genotype *4/*4, activity score 0".', 'genotype *4/*4, activity score 0'),
  patient('cyp2d6.activityScore', 'string', 'Activity score as text: "1.25", "≥4.0" (a lower bound: x≥3 bins and unknown copy numbers); null when none.', '0'),
  patient('cyp2d6.genotypePhenotype', 'string', 'Phenotype predicted by the genotype alone.', 'Poor metabolizer'),
  patient('cyp2d6.phenotype', 'string', 'Phenotype to act on, after phenoconversion by inhibitors.', 'Poor metabolizer'),
  patient('cyp2d6.riskPhenotype', 'string', 'UM, NM, IM, PM or Indeterminate, after phenoconversion (a lower-bound score is assigned from its bound); null with no result.', 'PM'),
  patient('cyp2d6.phenoconverted', 'boolean', 'An inhibitor changed the phenotype.', false),
  patient('cyp2d6.inhibitors', 'list', 'Names of active CYP2D6 inhibitors.', ['paroxetine']),
  patient('cyp2d6.phenoconversionNote', 'string', 'Sentence explaining phenoconversion, empty when none.', ''),
  patient('cyp2d6.discrepancyNote', 'string', 'Sentence naming a genotype/phenotype disagreement, empty when none.', ''),
  patient('cyp2d6.indeterminateReason', 'string', 'Why the phenotype is indeterminate (null otherwise).', 'allele *22 has uncertain function'),
  patient('cyp2d6.analgesics', 'list', 'Per analgesic: {drug, affected, advice}, for the drug-by-drug table.', [
    { drug: 'codeine', affected: true, advice: 'Avoid (strong)' },
    { drug: 'morphine', affected: false, advice: 'Not affected by CYP2D6' },
  ]),
  patient('cyp2d6.dataVersion', 'string', 'Knowledge tables behind the phenotype, id@version.', 'cyp2d6-activity-values@2024-08-27-21-12.1'),
  patient('cyp2d6.resultNote', 'string', 'Sentence following "CYP2D6 result: {{cyp2d6.basis}}.": what the result predicts by itself (never the phenotype after an inhibitor); empty with no result.', 'By itself, this genotype predicts a poor metabolizer.'),
  patient('cyp2d6.headline', 'string', 'Phenotype to act on, with what it rests on, for a card summary; empty with no result.', 'poor metabolizer while on paroxetine (genotype *1/*1 alone: normal metabolizer)'),
  patient('paediatric.recentTonsillectomy', 'boolean', 'A tonsillectomy or adenoidectomy within the post-operative period (paediatric-codeine-tramadol table), undated, or the reason for the draft order.', false),
  patient('paediatric.tonsillectomyWhen', 'string', 'When that surgery was, for people ("on 2026-05-29", "on a date that is not recorded"); empty when none.', ''),
  patient('paediatric.respiratoryRisks', 'list', 'Active obesity, obstructive sleep apnoea or severe lung disease (FDA 2017 warning for ages 12-18).', []),
  patient('paediatric.hasRespiratoryRisk', 'boolean', 'At least one of paediatric.respiratoryRisks is recorded.', false),

  patient('mme.hasOpioids', 'boolean', 'At least one pain opioid is active or ordered in this call.', true),
  patient('mme.total', 'number', 'Total daily MME over drafts and active orders (a lower bound when incomplete).', 92),
  patient('mme.existing', 'number', 'Daily MME of active orders before this call (orders replaced by a draft excluded).', 40),
  patient('mme.added', 'number', 'What the draft orders of this call add (negative when a draft lowers a dose).', 52),
  patient('mme.complete', 'boolean', 'Every opioid order could be converted.', true),
  patient('mme.incompleteNote', 'string', 'Sentences listing orders not counted and why, and saying when the medication list could not be read; empty when the total is known.', ''),
  patient('mme.draftsComplete', 'boolean', 'No pain opioid ordered in this call is unconvertible (buprenorphine, deliberately not converted, does not count against it).', true),
  patient('mme.draftsCounted', 'boolean', 'Every pain opioid ordered in this call is in the total (so mme.added is all the drafts add).', true),
  patient('mme.draftNotComparable', 'boolean', 'This call orders buprenorphine for pain, which has no CDC MME factor and is left out of the total.', false),
  patient('mme.medicationListKnown', 'boolean', 'The active medication orders could be read (false: the total covers only this call\'s orders).', true),
  patient('mme.totalKnown', 'boolean', 'The total is exact: every order converted and the medication list read.', true),
  patient('mme.totalText', 'string', 'The total for people: "92 MME/day", or "at least 92 MME/day" when it is a lower bound ("could not be computed" when nothing could be converted).', '92 MME/day'),
  patient('mme.incompleteSummary', 'string', 'Headline words for an incomplete total: "at least 60 MME/day, not fully computed", or "the total could not be computed".', 'at least 60 MME/day, not fully computed'),
  patient('mme.changeNote', 'string', 'Sentence on the total before this call and what the drafts add; never claims an unknown order adds 0.', 'Before this order: 40 MME/day; this order adds 52 MME/day.'),
  patient('mme.notComparableNote', 'string', 'Sentence naming buprenorphine pain products left out of the total (no CDC MME factor), empty when none.', ''),
  patient('mme.factorSource', 'string', 'Titles of the conversion factor tables used, for people.', 'Morphine milligram equivalent conversion factors (CDC 2022)'),
  patient('mme.orders', 'list', 'Per order: {drug, sig, dailyAmount, factor, mme, isDraft, status}.', [
    { drug: 'Oxycodone 10 MG Oral Tablet', sig: '1 tablet every 6 hours', dailyAmount: '40 mg', factor: 1.5, mme: 60, isDraft: true, status: 'counted' },
  ]),
  patient('mme.factorSet', 'string', 'Conversion factor tables used, id@version.', 'mme-factors-cdc-2022@2022.1'),
  patient('mme.outOfScope', 'boolean', 'The CDC 2022 guideline does not apply (cancer, palliative, hospice, sickle cell, under 18).', false),
  patient('mme.outOfScopeReasons', 'list', 'Why the patient is out of scope.', []),
  patient('mme.scopeNote', 'string', 'Sentence explaining why thresholds do not apply, empty when in scope.', ''),
  patient('opioids.draftCount', 'number', 'Pain opioids among the orders of this call.', 1),
  patient('opioids.activeCount', 'number', 'Active pain opioid orders on record (not counting drafts).', 1),
  patient('opioids.daysSinceLastUse', 'number', 'Days since the last opioid use on record: 0 with an active opioid order; null when none is on record.', 0),
  patient('naloxone.statusText', 'string', 'Whether naloxone is on hand, for people (says so when the medication list could not be read).', 'no active naloxone order was found'),
  patient('naloxone.onHand', 'boolean', 'An active rescue naloxone order exists (buprenorphine/naloxone does not count).', false),
  patient('safeguards.riskFactors', 'list', 'Overdose risk factors present: total MME, benzodiazepine, opioid use disorder, past overdose.', ['92 MME/day in total (50 MME/day or more)']),
  patient('safeguards.summaryNote', 'string', 'Risk factors and overdue safeguards, as a sentence (patient-view).', ''),
  patient('cns.classes', 'list', 'CNS depressant classes active or ordered alongside an opioid.', ['benzodiazepine']),
  patient('cns.drugs', 'list', 'The CNS depressant drugs involved.', ['alprazolam']),
  patient('cns.benzodiazepine', 'boolean', 'A benzodiazepine is active or ordered in this call.', false),
  patient('cns.coPrescribedWithThisOrder', 'boolean', 'This call orders an opioid with a CNS depressant on record, or a depressant with an opioid on record.', false),
  patient('cns.tripleNote', 'string', 'Sentence when an opioid, a benzodiazepine and another depressant are combined.', ''),
  patient('risk.oudOrOverdose', 'boolean', 'Opioid use disorder (current or past) or an overdose is on record.', false),
  patient('risk.substanceUseDisorder', 'boolean', 'Opioid or other substance use disorder (not nicotine), current, past or in remission.', false),
  patient('risk.sleepDisorderedBreathing', 'boolean', 'Sleep apnoea or other sleep-disordered breathing is recorded (not resolved).', false),
  patient('risk.toleranceLost', 'boolean', 'Opioids restarted in this call after a recorded loss of tolerance (taper, release from incarceration) while not opioid-tolerant.', false),
  patient('cns.benzodiazepineOrderedWithOpioid', 'boolean', 'This call orders a benzodiazepine for a patient with an active pain opioid.', false),
  patient('opioids.tolerant', 'boolean', 'Opioid-tolerant by the FDA definition (a week or more at 60 mg oral morphine/day or an equivalent); null when it cannot be known.', false),
  patient('opioids.toleranceText', 'string', 'Why the patient is or is not opioid-tolerant, for people.', 'not opioid-tolerant; no opioid taken at the FDA-defined dose for 7 days or more'),
  patient('therapy.opioidDays', 'number', 'Longest opioid therapy in days among active and draft orders (days supplied, or days since an active order began).', 30),
  patient('pdmp.daysSinceReview', 'number', 'Days since the last documented PDMP review; null when none is on record.', 120),
  patient('pdmp.lastReviewText', 'string', 'When the PDMP was last reviewed, for people.', 'no review on record'),
  patient('exceptionOnFile.mme', 'boolean', 'A valid justified exception quiets MME threshold alerts (no material change since).', false),
  patient('exceptionOnFile.mmeText', 'string', 'Who justified the MME exception, why and until when.', ''),
  patient('exceptionOnFile.cnsDepressant', 'boolean', 'A valid justified exception quiets the CNS depressant alert.', false),
  patient('exceptionOnFile.cnsDepressantText', 'string', 'Who justified the CNS depressant exception, why and until when.', ''),

  order('order.ref', 'string', 'Reference of the order, e.g. MedicationRequest/123.', 'MedicationRequest/draft-1'),
  order('order.drug', 'string', 'The order\'s drug as written.', 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet'),
  order('order.ingredient', 'string', 'Opioid ingredient in lower case (codeine, tramadol, ...); null when not an opioid.', 'codeine'),
  order('order.isPainOpioid', 'boolean', 'An opioid for pain (buprenorphine for opioid use disorder is not).', true),
  order('order.longActing', 'boolean', 'Extended-release or long-acting product (ER, 12/24 HR, transdermal, methadone).', false),
  order('order.mme', 'number', 'Daily MME of this order; null when it cannot be computed.', 9),
  order('order.toleranceRequired', 'boolean', 'The FDA label restricts this product or strength to opioid-tolerant patients (rules/knowledge/opioid-tolerance.json).', false),
  order('order.erLaSummary', 'string', 'Summary line of the ER/LA card for this order (label restriction first, else the opioid-naive advice).', 'Prefer an immediate-release opioid to long-acting oxycodone: no recent opioid use on record'),
  order('order.erLaNote', 'string', 'Detail of the ER/LA card for this order, with the patient\'s tolerance or recent use.', ''),
  order('order.exceptionOnFile', 'boolean', 'A valid justified exception quiets pharmacogenomic alerts for this drug.', false),
  order('order.exceptionText', 'string', 'Who justified the exception for this drug, why and until when.', ''),
];

/** Units of the numeric facts: a rule comparing one with a parameter (rules/parameters.json) of another unit is a rule-set error. */
const UNITS: Readonly<Record<string, string>> = {
  'patient.ageYears': 'years',
  'mme.total': 'MME/day',
  'mme.existing': 'MME/day',
  'mme.added': 'MME/day',
  'order.mme': 'MME/day',
  'therapy.opioidDays': 'days',
  'pdmp.daysSinceReview': 'days',
  'opioids.daysSinceLastUse': 'days',
};

export const FACT_CATALOG: readonly FactDefinition[] = FACTS.map((f) => (UNITS[f.name] ? { ...f, unit: UNITS[f.name] } : f));
