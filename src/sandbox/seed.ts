import type { FhirResource, Practitioner } from 'fhir/r4';
import { expandPatient, prefetchGroups, type CompactPatient } from '../pipeline/scenarios/compact-patient.js';
import { proObservations } from './seed-pro.js';

/**
 * Synthetic patients of the demo EHR, one per story of the product. Built with
 * the same compact descriptions as the rule scenarios; dates are relative to
 * `now`, so the stories stay true whenever the demo runs.
 */
export interface DemoPatient {
  readonly id: string;
  readonly label: string;
  readonly story: string;
  readonly compact: CompactPatient;
}

const RX = {
  oxyEr20: { rxnorm: '1049563', display: '12 HR Oxycodone Hydrochloride 20 MG Extended Release Oral Tablet', dose: 1, frequency: 1, period: 12, periodUnit: 'h' as const },
  hydrocodone: { rxnorm: '856903', display: 'Acetaminophen 500 MG / Hydrocodone Bitartrate 5 MG Oral Tablet', dose: 1, frequency: 1, period: 6, periodUnit: 'h' as const },
  morphineEr: { display: '12 HR Morphine Sulfate 30 MG Extended Release Oral Tablet', dose: 1, frequency: 1, period: 12, periodUnit: 'h' as const },
  naloxone: { rxnorm: '1725059', display: 'Naloxone Hydrochloride 4 MG/ACTUAT Nasal Spray', dose: 1, unit: 'spray', frequency: 1, period: 1, periodUnit: 'd' as const, prn: true },
  alprazolam: { display: 'Alprazolam 0.5 MG Oral Tablet', dose: 1, frequency: 2, period: 1, periodUnit: 'd' as const },
  paroxetine: { display: 'Paroxetine 20 MG Oral Tablet', dose: 1, frequency: 1, period: 1, periodUnit: 'd' as const },
  tramadol: { rxnorm: '835603', display: 'Tramadol Hydrochloride 50 MG Oral Tablet', dose: 1, frequency: 1, period: 6, periodUnit: 'h' as const },
};

export const DEMO_PATIENTS: readonly DemoPatient[] = [
  { id: 'pgx-poor', label: 'Maria Poor (CYP2D6 *4/*4)', story: 'CYP2D6 poor metabolizer: codeine will not relieve her pain.', compact: { id: 'pgx-poor', name: 'Maria Poor', gender: 'female', age: 46, cyp2d6: '*4/*4' } },
  { id: 'pgx-ultrarapid', label: 'Tom Rapid (CYP2D6 *1/*1x2)', story: 'CYP2D6 ultrarapid metabolizer: codeine risks morphine toxicity.', compact: { id: 'pgx-ultrarapid', name: 'Tom Rapid', gender: 'male', age: 34, cyp2d6: '*1/*1x2' } },
  { id: 'pgx-paroxetine', label: 'Ana Normal on paroxetine', story: 'Normal metabolizer by genotype, poor metabolizer in practice because of paroxetine.', compact: { id: 'pgx-paroxetine', name: 'Ana Normal', gender: 'female', age: 58, cyp2d6: '*1/*1', medications: [{ id: 'paroxetine', ...RX.paroxetine, authoredDaysAgo: 300 }] } },
  {
    id: 'mme-stable-80',
    label: 'John Stable (80 MME/day for two years)',
    story: 'Stable on 80 MME/day for two years with benefit; naloxone on hand; PDMP checked last month.',
    compact: {
      id: 'mme-stable-80',
      name: 'John Stable',
      gender: 'male',
      age: 61,
      cyp2d6: '*1/*2',
      medications: [
        { id: 'stable-oxy-er', ...RX.oxyEr20, authoredDaysAgo: 730, supplyDays: 30 },
        { id: 'stable-hydrocodone', ...RX.hydrocodone, authoredDaysAgo: 730, supplyDays: 30 },
        { id: 'stable-naloxone', ...RX.naloxone, authoredDaysAgo: 60 },
        // A finished 45-day course of tramadol after a fall: shows in the app's dose history, not in today's total.
        { id: 'stable-tramadol-past', ...RX.tramadol, authoredDaysAgo: 100, supplyDays: 45, status: 'completed' as const },
      ],
      procedures: [{ system: 'http://snomed.info/sct', code: '461621000124108', display: 'Review of prescription drug monitoring program', daysAgo: 30 }],
    },
  },
  {
    id: 'cancer-pain',
    label: 'Rosa Cancer (lung cancer, morphine)',
    story: 'Active lung cancer on morphine: outside the CDC dose thresholds; informed, not nagged.',
    compact: {
      id: 'cancer-pain',
      name: 'Rosa Cancer',
      gender: 'female',
      age: 67,
      medications: [{ id: 'cancer-morphine', ...RX.morphineEr, authoredDaysAgo: 90 }],
      conditions: [
        { system: 'http://snomed.info/sct', code: '254637007', display: 'Non-small cell lung cancer' },
        { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'G89.3', display: 'Neoplasm related pain' },
      ],
    },
  },
  { id: 'benzo', label: 'Paul Benzo (alprazolam)', story: 'On alprazolam: any opioid adds the benzodiazepine warning.', compact: { id: 'benzo', name: 'Paul Benzo', gender: 'male', age: 52, cyp2d6: '*1/*1', medications: [{ id: 'benzo-alprazolam', ...RX.alprazolam, authoredDaysAgo: 120 }] } },
  { id: 'no-genotype', label: 'Lea Unknown (no CYP2D6 result)', story: 'No CYP2D6 result on file: codeine gets the pre-test card.', compact: { id: 'no-genotype', name: 'Lea Unknown', gender: 'female', age: 29 } },
  {
    id: 'pro-improving',
    label: 'Ivy Improving (PEG 7.3 to 3.0 on physical therapy)',
    story: 'Low-dose hydrocodone for nine months with physical therapy: pain, function and mood improving (seed-pro.ts).',
    compact: { id: 'pro-improving', name: 'Ivy Improving', gender: 'female', age: 49, cyp2d6: '*1/*1', medications: [{ id: 'improving-hydrocodone', ...RX.hydrocodone, frequency: 1, period: 12, authoredDaysAgo: 280 }] },
  },
  {
    id: 'pro-depression',
    label: 'Ray Rising (PHQ-9 6 to 17 on escalating opioids)',
    story: 'Oxycodone raised over ten months while PHQ-9 rose from 6 to 17 and the PEG did not improve (seed-pro.ts).',
    compact: {
      id: 'pro-depression',
      name: 'Ray Rising',
      gender: 'male',
      age: 44,
      cyp2d6: '*1/*1',
      medications: [
        { id: 'rising-oxy-er-10', display: '12 HR Oxycodone Hydrochloride 10 MG Extended Release Oral Tablet', rxnorm: '1049502', dose: 1, frequency: 1, period: 12, periodUnit: 'h', authoredDaysAgo: 310, supplyDays: 150, status: 'completed' as const },
        { id: 'rising-oxy-er-20', ...RX.oxyEr20, authoredDaysAgo: 160 },
      ],
    },
  },
];

export const DEMO_PRACTITIONER: Practitioner = { resourceType: 'Practitioner', id: 'prac-1', name: [{ given: ['Dana'], family: 'Prescriber', prefix: ['Dr'] }] };

/** Every resource of the demo EHR. */
export function demoResources(now: Date): FhirResource[] {
  return [DEMO_PRACTITIONER, ...DEMO_PATIENTS.flatMap((p) => [...prefetchGroups(expandPatient(p.compact, now)).flat().map(withStructuredName), ...proObservations(p.id, now)])];
}

/**
 * Patients get a structured official name (given and family) as well as its
 * text: EHR screens and test clients such as the CDS Hooks Sandbox show
 * `given` and `family`, not `text`. Every demo name is "Given Family".
 */
function withStructuredName(resource: FhirResource): FhirResource {
  if (resource.resourceType !== 'Patient') return resource;
  const text = resource.name?.[0]?.text;
  if (!text) return resource;
  const [given, ...family] = text.trim().split(/\s+/);
  return { ...resource, name: [{ use: 'official', text, given: [given!], ...(family.length ? { family: family.join(' ') } : {}) }] };
}
