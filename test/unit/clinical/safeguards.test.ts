import type { Condition, MedicationRequest, Patient } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { ageInYears, daysSupply, isActiveCondition, isCurrentCondition, isRefuted } from '../../../src/clinical/safeguards.js';

/** The safeguard helpers behind the facts, without HTTP or rules. */
const order = (value: number, code?: string, unit?: string): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p' },
  dispenseRequest: { expectedSupplyDuration: { value, ...(code ? { code, system: 'http://unitsofmeasure.org' } : {}), ...(unit ? { unit } : {}) } },
});

describe('days of supply use the one time-unit table', () => {
  test.each([
    ['30 d', order(30, 'd'), 30],
    ['2 wk', order(2, 'wk'), 14],
    ['1 mo', order(1, 'mo'), 30],
    ['1 a (a year is not one day)', order(1, 'a'), 365],
    ['36 h', order(36, 'h'), 1.5],
    ['90 min (not 90 days)', order(90, 'min'), 90 / 1440],
    ['"days" written as a word, no code', order(28, undefined, 'days'), 28],
    ['"Weeks" as a word', order(4, undefined, 'Weeks'), 28],
  ])('%s', (_name, o, days) => {
    expect(daysSupply(o)).toBeCloseTo(days, 6);
  });

  test.each([
    ['an unknown unit is unknown, not days', order(30, 'fortnight')],
    ['a prototype key is not a unit', order(3, 'constructor')],
    ['no duration at all', { ...order(1, 'd'), dispenseRequest: {} } as MedicationRequest],
    ['a zero duration', order(0, 'd')],
  ])('%s', (_name, o) => {
    expect(daysSupply(o)).toBeUndefined();
  });
});

describe('conditions and age', () => {
  const condition = (extra: Partial<Condition>): Condition => ({ resourceType: 'Condition', subject: { reference: 'Patient/p' }, code: { text: 'x' }, ...extra });
  const status = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }] });
  const verification = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code }] });
  const now = new Date('2026-06-01T00:00:00Z');

  test('refuted and entered-in-error never count', () => {
    expect(isRefuted(condition({ verificationStatus: verification('refuted') }))).toBe(true);
    expect(isRefuted(condition({ verificationStatus: verification('entered-in-error') }))).toBe(true);
    expect(isCurrentCondition(condition({ clinicalStatus: status('active'), verificationStatus: verification('refuted') }), now, 365)).toBe(false);
  });

  test('no clinical status: current only when recorded recently', () => {
    expect(isCurrentCondition(condition({ recordedDate: '2026-05-01' }), now, 365)).toBe(true);
    expect(isCurrentCondition(condition({ recordedDate: '2023-05-01' }), now, 365)).toBe(false);
    expect(isCurrentCondition(condition({}), now, 365)).toBe(false);
  });

  test('remission and resolved are not active', () => {
    expect(isActiveCondition(condition({ clinicalStatus: status('active') }))).toBe(true);
    expect(isCurrentCondition(condition({ clinicalStatus: status('remission') }), now, 365)).toBe(false);
    expect(isCurrentCondition(condition({ clinicalStatus: status('resolved') }), now, 365)).toBe(false);
  });

  test('age in whole years at the time of the call; unknown without a birth date', () => {
    const patient = (birthDate?: string): Patient => ({ resourceType: 'Patient', ...(birthDate ? { birthDate } : {}) });
    expect(ageInYears(patient('2014-06-02'), now)).toBe(11);
    expect(ageInYears(patient('2014-06-01'), now)).toBe(12);
    expect(ageInYears(patient(), now)).toBeNull();
    expect(ageInYears(undefined, now)).toBeNull();
  });
});
