import type { Condition, MedicationRequest, Observation } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { computePainFacts } from '../../../src/clinical/facts/index.js';
import { assessTolerance } from '../../../src/clinical/mme/index.js';
import { isBreastfeeding, overdoseRiskConditions } from '../../../src/clinical/overdose-risk.js';
import { buildPatientContext } from '../../../src/clinical/patient-context.js';
import { isCurrentCondition } from '../../../src/clinical/safeguards.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** Clinical review (issues 13 and 14): condition statuses, lactation, opioid tolerance, an unreadable medication list. */
const knowledge = loadKnowledge();
const vs = knowledge.valueSets;
const NOW = new Date('2026-06-01T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const condition = (code: string, display: string, extra: Partial<Condition> = {}): Condition => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/p' },
  code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code, display }] },
  ...extra,
});
const status = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }] });
const verification = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code }] });

function oxycodone(mgPerTablet: 5 | 10, startedDaysAgo: number, id = `oxy-${mgPerTablet}-${startedDaysAgo}`): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/p' },
    authoredOn: daysAgo(startedDaysAgo),
    medicationCodeableConcept: { coding: [{ system: RX, code: mgPerTablet === 5 ? '1049621' : '1049683' }], text: `Oxycodone Hydrochloride ${mgPerTablet} MG Oral Tablet` },
    dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 6, periodUnit: 'h' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }],
  };
}

describe('condition status', () => {
  const recentDays = knowledge.mme.safety.data.conditionWithoutStatusRecentDays;
  test('no clinical status: current only when recorded recently', () => {
    expect(isCurrentCondition(condition('C34.90', 'Lung cancer', { recordedDate: daysAgo(30) }), NOW, recentDays)).toBe(true);
    expect(isCurrentCondition(condition('C34.90', 'Lung cancer', { onsetDateTime: daysAgo(1100) }), NOW, recentDays)).toBe(false);
    expect(isCurrentCondition(condition('C34.90', 'Lung cancer'), NOW, recentDays)).toBe(false);
  });
  test('refuted or entered in error never counts, active or not', () => {
    expect(isCurrentCondition(condition('C34.90', 'Lung cancer', { clinicalStatus: status('active'), verificationStatus: verification('refuted') }), NOW, recentDays)).toBe(false);
    expect(overdoseRiskConditions([condition('T40.2X1A', 'Poisoning by other opioids', { verificationStatus: verification('entered-in-error') })], vs)).toEqual([]);
  });
  test('substance use disorder in remission counts; nicotine does not; use, unspecified counts (documented decision)', () => {
    const kinds = (c: Condition) => overdoseRiskConditions([c], vs).map((r) => r.kind);
    expect(kinds(condition('F10.21', 'Alcohol dependence, in remission', { clinicalStatus: status('remission') }))).toEqual(['sud']);
    expect(kinds(condition('F11.21', 'Opioid dependence, in remission', { clinicalStatus: status('remission') }))).toEqual(['oud']);
    expect(kinds(condition('F17.210', 'Nicotine dependence, cigarettes'))).toEqual([]);
    expect(kinds(condition('F14.90', 'Cocaine use, unspecified, uncomplicated'))).toEqual(['sud']);
    expect(kinds(condition('G47.33', 'Obstructive sleep apnea', { clinicalStatus: status('resolved') }))).toEqual([]);
    expect(kinds(condition('G47.33', 'Obstructive sleep apnea'))).toEqual(['sleep']);
  });
});

describe('lactation', () => {
  const obs = (value: Partial<Observation>, at = 10): Observation => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '63895-7', display: 'Breastfeeding status' }], text: 'Breastfeeding status' },
    effectiveDateTime: daysAgo(at),
    ...value,
  });
  const days = knowledge.mme.safety.data.conditionWithoutStatusRecentDays;
  test('an Observation counts only when its value says breastfeeding', () => {
    expect(isBreastfeeding([], [obs({ valueCodeableConcept: { text: 'Not breastfeeding' } })], vs, NOW, days)).toBe(false);
    expect(isBreastfeeding([], [obs({ valueCodeableConcept: { text: 'Exclusively breastfeeding' } })], vs, NOW, days)).toBe(true);
    expect(isBreastfeeding([], [obs({ valueBoolean: false })], vs, NOW, days)).toBe(false);
    expect(isBreastfeeding([], [obs({ valueBoolean: true })], vs, NOW, days)).toBe(true);
    expect(isBreastfeeding([], [obs({})], vs, NOW, days)).toBe(false);
  });
  test('the latest answer wins', () => {
    expect(isBreastfeeding([], [obs({ valueCodeableConcept: { text: 'Breastfeeding' } }, 200), obs({ valueCodeableConcept: { text: 'Stopped breastfeeding' } }, 5)], vs, NOW, days)).toBe(false);
  });
  test('a lactation Condition counts only while current', () => {
    expect(isBreastfeeding([condition('Z39.1', 'Lactating mother', { clinicalStatus: status('resolved') })], [], vs, NOW, days)).toBe(false);
    expect(isBreastfeeding([condition('Z39.1', 'Lactating mother', { clinicalStatus: status('active') })], [], vs, NOW, days)).toBe(true);
  });
});

describe('opioid tolerance (FDA definition)', () => {
  const t = knowledge.mme.tolerance.data;
  const assess = (records: MedicationRequest[], medicationListKnown = true) => assessTolerance({ records, draftIds: new Set(), now: NOW, medicationListKnown }, knowledge.mme, t);
  test('30 mg oxycodone a day for a week or more is tolerant; 20 mg is not; 3 days is not yet', () => {
    expect(assess([oxycodone(10, 30)]).tolerant).toBe(true);
    expect(assess([oxycodone(5, 30)]).tolerant).toBe(false);
    expect(assess([oxycodone(10, 3)]).tolerant).toBe(false);
  });
  test('two opioids add up as fractions of their definitions', () => {
    expect(assess([oxycodone(5, 30, 'a'), oxycodone(5, 30, 'b')]).tolerant).toBe(true);
  });
  test('an unreadable medication list makes tolerance unknown, not false', () => {
    expect(assess([], false)).toMatchObject({ tolerant: null });
  });
});

describe('the medication list could not be read', () => {
  const draft: MedicationRequest = { ...oxycodone(10, 0, 'draft-1'), status: 'draft' };
  const context = (unavailable: { key: string; reason: string }[]) =>
    buildPatientContext({
      now: NOW,
      patientId: 'p',
      userId: 'Practitioner/1',
      draftOrders: [draft],
      selections: undefined,
      prefetchResources: [[{ resourceType: 'Patient', id: 'p', birthDate: '1970-01-01' }]],
      unavailable,
    });
  test('the total is "at least" the draft, and nothing claims the dose is unchanged or naloxone absent', () => {
    const facts = computePainFacts(context([{ key: 'medicationRequests', reason: 'timeout' }]), knowledge).patient;
    expect(facts['mme.medicationListKnown']).toBe(false);
    expect(facts['mme.totalKnown']).toBe(false);
    expect(facts['mme.totalText']).toBe('at least 60 MME/day');
    expect(String(facts['mme.changeNote'])).toContain('could not be checked');
    expect(String(facts['mme.changeNote'])).not.toMatch(/does not|adds 0/);
    expect(String(facts['mme.incompleteNote'])).toContain('Medication list unavailable');
    expect(facts['naloxone.statusText']).toContain('could not be checked');
    expect(facts['opioids.tolerant']).toBeNull();
  });
  test('with the list read, the same draft is an exact total', () => {
    const facts = computePainFacts(context([]), knowledge).patient;
    expect(facts['mme.totalText']).toBe('60 MME/day');
    expect(facts['mme.changeNote']).toBe('Before this order: 0 MME/day; this order adds 60 MME/day.');
  });
});
