import type { FactDefinition, FactType } from '../../knowledge/facts.js';

/**
 * Every fact a rule or card template may name, with its type, unit and a
 * typical value: the one source of fact names and types. The fact producers
 * are typed against it (PatientFacts, OrderFacts), so a misspelled fact or a
 * value of the wrong type is a compile error, and a test checks that a call
 * computes exactly these facts. Rules read these values only; they never see
 * FHIR. Facts ending in `Note` are ready-made sentences for card detail, empty
 * when not applicable. Documented for informaticists in rules/README.md.
 */
const patient = <T extends FactType>(type: T, description: string, example: unknown, unit?: string) => ({ scope: 'patient' as const, type, description, example, ...(unit ? { unit } : {}) });
const order = <T extends FactType>(type: T, description: string, example: unknown, unit?: string) => ({ scope: 'order' as const, type, description, example, ...(unit ? { unit } : {}) });

export const FACTS = {
  'patient.ageYears': patient('number', 'Age in whole years at the time of the call (null when no birth date).', 45, 'years'),
  'patient.tonsillectomy': patient('boolean', 'A tonsillectomy or adenoidectomy is on record (procedure or indication).', false),
  'patient.breastfeeding': patient('boolean', 'Breastfeeding or lactation is recorded.', false),
  'data.checksMissing': patient('boolean', 'Some prefetch data could not be had, so some safety checks were not done.', false),
  'data.unavailableKeys': patient('list', 'Prefetch keys that could not be had (patient, medicationRequests, medicationStatements, conditions, observations, procedures, detectedIssues).', []),
  'data.unavailable': patient('list', 'What could not be checked, for people.', []),
  'data.unavailableNote': patient('string', 'Sentence naming the data that could not be checked (empty when all was available).', ''),

  'cyp2d6.hasResult': patient('boolean', 'A final CYP2D6 result (genotype or phenotype) is on file.', true),
  'cyp2d6.diplotype': patient('string', 'Normalised diplotype, e.g. *1/*4 (null for phenotype-only results).', '*4/*4'),
  'cyp2d6.basis': patient('string', 'What the phenotype rests on, for people: "genotype *4/*4, activity score 0".', 'genotype *4/*4, activity score 0'),
  'cyp2d6.activityScore': patient('string', 'Activity score as text: "1.25", "≥4.0" (a lower bound: x≥3 bins and unknown copy numbers); null when none.', '0'),
  'cyp2d6.genotypePhenotype': patient('string', 'Phenotype predicted by the genotype alone.', 'Poor metabolizer'),
  'cyp2d6.phenotype': patient('string', 'Phenotype to act on, after phenoconversion by inhibitors.', 'Poor metabolizer'),
  'cyp2d6.riskPhenotype': patient('string', 'UM, NM, IM, PM or Indeterminate, after phenoconversion (a lower-bound score is assigned from its bound); null with no result.', 'PM'),
  'cyp2d6.phenoconverted': patient('boolean', 'An inhibitor changed the phenotype.', false),
  'cyp2d6.inhibitors': patient('list', 'Names of active CYP2D6 inhibitors.', ['paroxetine']),
  'cyp2d6.phenoconversionNote': patient('string', 'Sentence explaining phenoconversion, empty when none.', ''),
  'cyp2d6.discrepancyNote': patient('string', 'Sentence naming a genotype/phenotype disagreement, empty when none.', ''),
  'cyp2d6.indeterminateReason': patient('string', 'Why the phenotype is indeterminate (null otherwise).', 'allele *22 has uncertain function'),
  'cyp2d6.analgesics': patient('list', 'Per analgesic: {drug, affected, advice}, for the drug-by-drug table.', [
    { drug: 'codeine', affected: true, advice: 'Avoid (strong)' },
    { drug: 'morphine', affected: false, advice: 'Not affected by CYP2D6' },
  ]),
  'cyp2d6.dataVersion': patient('string', 'Knowledge tables behind the phenotype, id@version.', 'cyp2d6-activity-values@2024-08-27-21-12.1'),
  'cyp2d6.resultNote': patient('string', 'Sentence following "CYP2D6 result: {{cyp2d6.basis}}.": what the result predicts by itself (never the phenotype after an inhibitor); empty with no result.', 'By itself, this genotype predicts a poor metabolizer.'),
  'cyp2d6.headline': patient('string', 'Phenotype to act on, with what it rests on, for a card summary; empty with no result.', 'poor metabolizer while on paroxetine (genotype *1/*1 alone: normal metabolizer)'),
  'paediatric.recentTonsillectomy': patient('boolean', 'A tonsillectomy or adenoidectomy within the post-operative period (paediatric-codeine-tramadol table), undated, or the reason for the draft order.', false),
  'paediatric.tonsillectomyWhen': patient('string', 'When that surgery was, for people ("on 2026-05-29", "on a date that is not recorded"); empty when none.', ''),
  'paediatric.respiratoryRisks': patient('list', 'Active obesity, obstructive sleep apnoea or severe lung disease (FDA 2017 warning for ages 12-18).', []),
  'paediatric.hasRespiratoryRisk': patient('boolean', 'At least one of paediatric.respiratoryRisks is recorded.', false),

  'mme.hasOpioids': patient('boolean', 'At least one pain opioid is active or ordered in this call.', true),
  'mme.total': patient('number', 'Total daily MME over drafts and active orders (a lower bound when incomplete).', 92, 'MME/day'),
  'mme.existing': patient('number', 'Daily MME of active orders before this call (orders replaced by a draft excluded).', 40, 'MME/day'),
  'mme.added': patient('number', 'What the draft orders of this call add (negative when a draft lowers a dose).', 52, 'MME/day'),
  'mme.complete': patient('boolean', 'Every opioid order could be converted.', true),
  'mme.incompleteNote': patient('string', 'Sentences listing orders not counted and why, and saying when the medication list could not be read; empty when the total is known.', ''),
  'mme.draftsComplete': patient('boolean', 'No pain opioid ordered in this call is unconvertible (buprenorphine, deliberately not converted, does not count against it).', true),
  'mme.draftsCounted': patient('boolean', 'Every pain opioid ordered in this call is in the total (so mme.added is all the drafts add).', true),
  'mme.draftNotComparable': patient('boolean', 'This call orders buprenorphine for pain, which has no CDC MME factor and is left out of the total.', false),
  'mme.medicationListKnown': patient('boolean', 'The active medication orders could be read (false: the total covers only this call\'s orders).', true),
  'mme.totalKnown': patient('boolean', 'The total is exact: every order converted and the medication list read.', true),
  'mme.totalText': patient('string', 'The total for people: "92 MME/day", or "at least 92 MME/day" when it is a lower bound ("could not be computed" when nothing could be converted).', '92 MME/day'),
  'mme.incompleteSummary': patient('string', 'Headline words for an incomplete total: "at least 60 MME/day, not fully computed", or "the total could not be computed".', 'at least 60 MME/day, not fully computed'),
  'mme.changeNote': patient('string', 'Sentence on the total before this call and what the drafts add; never claims an unknown order adds 0.', 'Before this order: 40 MME/day; this order adds 52 MME/day.'),
  'mme.notComparableNote': patient('string', 'Sentence naming buprenorphine pain products left out of the total (no CDC MME factor), empty when none.', ''),
  'mme.factorSource': patient('string', 'Titles of the conversion factor tables used, for people.', 'Morphine milligram equivalent conversion factors (CDC 2022)'),
  'mme.orders': patient('list', 'Per order: {drug, sig, dailyAmount, factor, mme, isDraft, status}.', [
    { drug: 'Oxycodone 10 MG Oral Tablet', sig: '1 tablet every 6 hours', dailyAmount: '40 mg', factor: 1.5, mme: 60, isDraft: true, status: 'counted' },
  ]),
  'mme.factorSet': patient('string', 'Conversion factor tables used, id@version.', 'mme-factors-cdc-2022@2022.1'),
  'mme.outOfScope': patient('boolean', 'The CDC 2022 guideline does not apply (cancer, palliative, hospice, sickle cell, under 18).', false),
  'mme.outOfScopeReasons': patient('list', 'Why the patient is out of scope.', []),
  'mme.scopeNote': patient('string', 'Sentence explaining why thresholds do not apply, empty when in scope.', ''),
  'opioids.draftCount': patient('number', 'Pain opioids among the orders of this call.', 1),
  'opioids.activeCount': patient('number', 'Active pain opioid orders on record (not counting drafts).', 1),
  'opioids.daysSinceLastUse': patient('number', 'Days since the last opioid use on record: 0 with an active opioid order; null when none is on record.', 0, 'days'),
  'naloxone.statusText': patient('string', 'Whether naloxone is on hand, for people (says so when the medication list could not be read).', 'no active naloxone order was found'),
  'naloxone.onHand': patient('boolean', 'An active rescue naloxone order exists (buprenorphine/naloxone does not count).', false),
  'safeguards.riskFactors': patient('list', 'Overdose risk factors present: total MME, benzodiazepine, opioid use disorder, past overdose.', ['92 MME/day in total (50 MME/day or more)']),
  'safeguards.summaryNote': patient('string', 'Risk factors and overdue safeguards, as a sentence (patient-view).', ''),
  'cns.classes': patient('list', 'CNS depressant classes active or ordered alongside an opioid.', ['benzodiazepine']),
  'cns.drugs': patient('list', 'The CNS depressant drugs involved.', ['alprazolam']),
  'cns.benzodiazepine': patient('boolean', 'A benzodiazepine is active or ordered in this call.', false),
  'cns.coPrescribedWithThisOrder': patient('boolean', 'This call orders an opioid with a CNS depressant on record, or a depressant with an opioid on record.', false),
  'cns.tripleNote': patient('string', 'Sentence when an opioid, a benzodiazepine and another depressant are combined.', ''),
  'risk.oudOrOverdose': patient('boolean', 'Opioid use disorder (current or past) or an overdose is on record.', false),
  'risk.substanceUseDisorder': patient('boolean', 'Opioid or other substance use disorder (not nicotine), current, past or in remission.', false),
  'risk.sleepDisorderedBreathing': patient('boolean', 'Sleep apnoea or other sleep-disordered breathing is recorded (not resolved).', false),
  'risk.toleranceLost': patient('boolean', 'Opioids restarted in this call after a recorded loss of tolerance (taper, release from incarceration) while not opioid-tolerant.', false),
  'cns.benzodiazepineOrderedWithOpioid': patient('boolean', 'This call orders a benzodiazepine for a patient with an active pain opioid.', false),
  'opioids.tolerant': patient('boolean', 'Opioid-tolerant by the FDA definition (a week or more at 60 mg oral morphine/day or an equivalent); null when it cannot be known.', false),
  'opioids.toleranceText': patient('string', 'Why the patient is or is not opioid-tolerant, for people.', 'not opioid-tolerant; no opioid taken at the FDA-defined dose for 7 days or more'),
  'therapy.opioidDays': patient('number', 'Longest opioid therapy in days among active and draft orders (days supplied, or days since an active order began).', 30, 'days'),
  'pdmp.daysSinceReview': patient('number', 'Days since the last documented PDMP review; null when none is on record.', 120, 'days'),
  'pdmp.lastReviewText': patient('string', 'When the PDMP was last reviewed, for people.', 'no review on record'),
  'exceptionOnFile.mme': patient('boolean', 'A valid justified exception quiets MME threshold alerts (no material change since).', false),
  'exceptionOnFile.mmeText': patient('string', 'Who justified the MME exception, why and until when.', ''),
  'exceptionOnFile.cnsDepressant': patient('boolean', 'A valid justified exception quiets the CNS depressant alert.', false),
  'exceptionOnFile.cnsDepressantText': patient('string', 'Who justified the CNS depressant exception, why and until when.', ''),

  'pro.measured': patient('boolean', 'At least one whole-person instrument (PEG, NRS, PHQ, GAD-7, STarT Back, ORT, PROMIS sleep, PCS) is on file, current or dated.', true),
  'pro.hasOpioidsOrMeasures': patient('boolean', 'The patient has opioid therapy (active or ordered) or a whole-person measure on file: the whole-person card has something to say.', true),
  'pro.dials': patient('list', 'One row per dimension of the mixing board: {dimension, status (current, dated, never), instrument, value, band, level, date, change, text, trend, mcid, validityDays}.', [
    { dimension: 'Mood', status: 'current', instrument: 'PHQ-9', value: 14, band: 'moderate', level: 2, date: '2026-05-01', change: 'worse by 6 since 2025-09-01: clinically important (5 or more)', text: 'PHQ-9 14 (moderate), 2026-05-01', trend: [], mcid: 5, validityDays: 365 },
  ]),
  'pro.raised': patient('list', 'Dimensions whose current value is moderate, a positive screen, medium or high risk or worse, for people.', ['Mood: PHQ-9 14 (moderate), 2026-05-01']),
  'pro.datedNote': patient('string', 'Sentence naming the measures older than their validity window (shown as dated, never as current status); empty when none.', ''),
  'pro.due': patient('list', 'Core instruments due (PEG-3, PHQ-9, GAD-7): none current, or on long-term opioid therapy no PEG within the reassessment interval.', ['PEG-3']),
  'pro.dueText': patient('string', 'The instruments due, for people ("PEG-3 and GAD-7", or "none").', 'PEG-3'),
  'pro.reassessmentDue': patient('boolean', 'On long-term opioid therapy with no PEG within pro.reassessIntervalDays (a CDC 2022 reassessment point).', false),
  'pro.summaryText': patient('string', 'Headline of the whole-person card: dimensions turned up and instruments due.', 'Whole person: 1 of 8 dimensions turned up; due: PEG-3'),
  'pro.nonDrugOptions': patient('list', 'Non-drug options of the dimensions turned up (rules/knowledge/nondrug-options.json): {dimension, option, evidence, source}.', []),
  'pro.selfHarm': patient('boolean', 'The latest answer to PHQ-9 item 9 (thoughts of self-harm, LOINC 44260-8) within the PHQ-9 validity window is above 0.', false),
  'pro.selfHarmText': patient('string', 'That answer and its date, for people; empty when none.', ''),
  'pro.phq9Total': patient('number', 'The latest PHQ-9 total within its validity window; null when none is current.', 14, 'score'),
  'pro.phq2Total': patient('number', 'The latest PHQ-2 total within its validity window; null when none is current.', 3, 'score'),
  'pro.gad7Total': patient('number', 'The latest GAD-7 total within its validity window; null when none is current.', 11, 'score'),
  'pro.ortRisk': patient('string', 'Risk level of the latest current Opioid Risk Tool total (low risk, moderate risk, high risk); null when none is current.', 'high risk'),
  'pro.mentalHealthFindings': patient('list', 'Current PHQ-9, PHQ-2 and GAD-7 totals at or above their referral parameters and a high-risk ORT, with dates, for people.', ['PHQ-9 14 on 2026-05-01 (10 or more)']),
  'pro.pegBenefitNotShown': patient('boolean', 'The latest current PEG has not improved by pro.pegImprovementPercent against a PEG at least pro.pegBenefitWindowDays older (within pro.trendWindowDays).', false),
  'pro.pegChangeText': patient('string', 'The two PEG values compared and the change, for people; empty when there is no pair to compare.', 'PEG 7.0 on 2026-01-10, 6.7 on 2026-05-01: 4% better'),
  'exceptionOnFile.mentalHealth': patient('boolean', 'A valid justified exception (behavioural-health care already in place) quiets the mental-health card.', false),
  'exceptionOnFile.mentalHealthText': patient('string', 'Who recorded that behavioural-health care is in place, and until when.', ''),

  'goals.known': patient('boolean', 'The patient\'s Goals could be read (prefetch key goals); goal cards say nothing about goals that could not be read.', true),
  'goals.gasCount': patient('number', 'Active Goal Attainment Scaling goals (HL7 PCO GAS Goals, lifecycle active or accepted).', 2),
  'goals.gasGoals': patient('list', 'Per active GAS goal: {goal, expected, latest, date, rater, due}, for the goalTable formatter.', [
    { goal: 'Walk the dog for 15 minutes', expected: 'Walks the dog for 15 minutes, 3 days a week', latest: 'Less than expected (-1)', date: '2026-05-20', rater: 'clinician', due: '2026-08-01' },
  ]),
  'goals.tScore': patient('number', 'Combined Kiresuk-Sherman GAS T-score (50 = as expected) of the rater who scored last, from each goal\'s latest follow-up; null with a baseline alone or no GAS goal.', 43.9, 'T-score'),
  'goals.tScorePractitioner': patient('number', 'Combined GAS T-score from the clinician\'s latest follow-up per goal (LOINC 107333-7); null when none.', 43.9, 'T-score'),
  'goals.tScorePatient': patient('number', 'Combined GAS T-score from the patient\'s latest follow-up per goal (LOINC 107334-5); null when none.', 52.3, 'T-score'),
  'goals.tScoreText': patient('string', 'The T-scores per rater with how many goals were scored and when, for people ("No follow-up yet (baseline only): no T-score." otherwise).', 'T-score 43.9 by the clinician (2 of 2 goals scored, latest 2026-05-20)'),
  'goals.summaryText': patient('string', 'Headline of the goals card.', 'Personal goals: 2 active; T-score 43.9 by the clinician'),
  'goals.plainGoals': patient('list', 'Active goals without GAS (plain Goals, e.g. written by the justification form before GAS), by their text.', []),
  'goals.seriousIllness': patient('boolean', 'Palliative or hospice care is on record (the CDC scope value sets palliative-care and hospice).', false),
  'goals.hasGoalsOfCare': patient('boolean', 'An active goal of care (category urn:pain-cds:goal-kind#goals-of-care) is on record.', false),
  'exceptionOnFile.mmeGoalsNote': patient('string', 'For the dose exception on file: the goals it rests on, their latest GAS T-score, and whether it fell below 50 since the justification (starts with "; "); empty when it names no goals.', ''),
  'exceptionOnFile.mmeGoalsTScore': patient('number', 'Latest combined T-score of the goals the dose exception rests on (the rater who scored last); null when none.', 47.1, 'T-score'),
  'exceptionOnFile.mmeGoalsFellBelow50': patient('boolean', 'A T-score of the goals the dose exception rests on, from follow-ups after the justification, is below 50.', false),

  'nof1.known': patient('boolean', 'The patient\'s CarePlans could be read (prefetch key carePlans); without them a running N-of-1 trial cannot be seen.', true),
  'nof1.running': patient('boolean', 'An active N-of-1 trial CarePlan of this patient is on record (representation: src/clinical/nof1/careplan.ts).', false),
  'nof1.trialText': patient('string', 'The running trial for people: dates, design, the current period, and the schedule only when it is not blinded; empty when none.', ''),
  'nof1.mmeNote': patient('string', 'How the trial\'s orders were counted in the MME total (the higher arm once, or the current period only when each period is dispensed separately); empty when no trial order.', ''),

  'order.ref': order('string', 'Reference of the order, e.g. MedicationRequest/123.', 'MedicationRequest/draft-1'),
  'order.drug': order('string', 'The order\'s drug as written.', 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet'),
  'order.ingredient': order('string', 'Opioid ingredient in lower case (codeine, tramadol, ...); null when not an opioid.', 'codeine'),
  'order.isPainOpioid': order('boolean', 'An opioid for pain (buprenorphine for opioid use disorder is not).', true),
  'order.longActing': order('boolean', 'Extended-release or long-acting product (ER, 12/24 HR, transdermal, methadone).', false),
  'order.mme': order('number', 'Daily MME of this order; null when it cannot be computed.', 9, 'MME/day'),
  'order.doseMg': order('number', 'mg of the opioid ingredient (as labelled, e.g. codeine phosphate) per administration of a single-ingredient oral opioid order with a fixed dose; null otherwise. For the what-if view\'s link.', 30, 'mg'),
  'order.intervalHours': order('number', 'Hours between administrations of the order (24 / administrations a day); null when the sig does not say.', 6, 'h'),
  'order.toleranceRequired': order('boolean', 'The FDA label restricts this product or strength to opioid-tolerant patients (rules/knowledge/opioid-tolerance.json).', false),
  'order.erLaSummary': order('string', 'Summary line of the ER/LA card for this order (label restriction first, else the opioid-naive advice).', 'Prefer an immediate-release opioid to long-acting oxycodone: no recent opioid use on record'),
  'order.erLaNote': order('string', 'Detail of the ER/LA card for this order, with the patient\'s tolerance or recent use.', ''),
  'order.exceptionOnFile': order('boolean', 'A valid justified exception quiets pharmacogenomic alerts for this drug.', false),
  'order.inNof1Trial': order('boolean', 'The order\'s drug is one of the treatments of the patient\'s running N-of-1 trial (RxNorm code, name or opioid ingredient).', false),
  'order.nof1Summary': order('string', 'Summary line of the N-of-1 trial card for this order; empty when not in a trial.', 'Tramadol Hydrochloride 50 MG Oral Tablet is part of a running N-of-1 trial'),
  'order.nof1Note': order('string', 'Which treatment the drug is and the trial\'s schedule (a blinded trial: only that the schedule is with the pharmacy); empty when not in a trial.', ''),
  'order.exceptionText': order('string', 'Who justified the exception for this drug, why and until when.', ''),
} as const;

/** The value a fact of each type holds: null when unknown. */
type ValueOf<T extends FactType> = T extends 'number' ? number | null : T extends 'string' ? string | null : T extends 'boolean' ? boolean | null : T extends 'list' ? readonly unknown[] : unknown;
type FactsOfScope<S extends 'patient' | 'order'> = { -readonly [K in keyof typeof FACTS as (typeof FACTS)[K]['scope'] extends S ? K : never]: ValueOf<(typeof FACTS)[K]['type']> };

/** The patient-level facts of one call, by name. */
export type PatientFacts = FactsOfScope<'patient'>;
/** The facts of one order under consideration, by name (looked up over the patient's). */
export type OrderFacts = FactsOfScope<'order'>;

export const FACT_CATALOG: readonly FactDefinition[] = Object.entries(FACTS).map(([name, spec]) => ({ name, ...spec }));
