import type { DetectedIssue } from 'fhir/r4';
import { describe, expect, test } from 'vitest';
import { applicableException, exceptionFromOverride, exceptionsFromDetectedIssues, justifiedValues, pdmpReviewsDocumented, type ExceptionOnFile } from '../../../src/clinical/exceptions.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

/** Justified exceptions as domain records: what they are tied to, how long they last, and what brings the alert back. */
const reasons = loadKnowledge().overrideReasons;
const now = new Date('2026-06-01T12:00:00Z');
const day = 86_400_000;

const card = (values: Record<string, unknown>, ruleId = 'r') => ({ uuid: 'c1', patientId: 'p', ruleId, userId: 'Practitioner/1', values });
const override = (code: string, at = now) => ({ cardUuid: 'c1', outcome: 'overridden', outcomeTimestamp: at, overrideReason: { system: reasons.system, code } });

describe('an override becomes an exception on file', () => {
  test('tied to what the card was about, valid for the reason\'s days', () => {
    const e = exceptionFromOverride(override('pgx-reviewed'), card({ topic: 'pgx', 'order.ingredient': 'codeine', 'cyp2d6.riskPhenotype': 'PM' }), reasons)!;
    expect(e).toMatchObject({ topic: 'pgx', reasonCode: 'pgx-reviewed', justified: { ingredient: 'codeine', phenotype: 'PM' } });
    expect(e.expiresAt.getTime() - e.createdAt.getTime()).toBe(180 * day);
  });

  test('a reason that cannot justify the card\'s topic makes no exception', () => {
    expect(exceptionFromOverride(override('pdmp-reviewed'), card({ topic: 'mme', 'mme.total': 120 }), reasons)).toBeUndefined();
  });

  test('an accepted card or an unknown reason makes none', () => {
    expect(exceptionFromOverride({ ...override('pgx-reviewed'), outcome: 'accepted' }, card({ topic: 'pgx' }), reasons)).toBeUndefined();
    expect(exceptionFromOverride(override('because'), card({ topic: 'pgx' }), reasons)).toBeUndefined();
  });

  test('the justified values are read from the card\'s provenance', () => {
    expect(justifiedValues({ 'mme.total': 92, 'cns.classes': ['benzodiazepine', 7], other: 'x' })).toEqual({ mmeTotal: 92, cnsClasses: ['benzodiazepine'] });
  });
});

describe('material change brings the alert back', () => {
  const onFile = (topic: string, justified: Record<string, unknown>): ExceptionOnFile => ({
    id: topic, patientId: 'p', topic, ruleId: 'r', reasonCode: 'x', reasonDisplay: 'x', userId: 'u', source: 'feedback',
    createdAt: new Date(now.getTime() - day), expiresAt: new Date(now.getTime() + day), justified,
  });
  test.each([
    ['mme: same total', 'mme', { mmeTotal: 120 }, { mmeTotal: 120, mmeTotalKnown: true }, true],
    ['mme: higher total', 'mme', { mmeTotal: 120 }, { mmeTotal: 121, mmeTotalKnown: true }, false],
    ['mme: a lower-bound total', 'mme', { mmeTotal: 120 }, { mmeTotal: 100, mmeTotalKnown: false }, false],
    ['mme: no justified total', 'mme', {}, { mmeTotal: 10, mmeTotalKnown: true }, false],
    ['pgx: same drug and phenotype', 'pgx', { ingredient: 'codeine', phenotype: 'PM' }, { ingredient: 'codeine', phenotype: 'PM' }, true],
    ['pgx: another phenotype', 'pgx', { ingredient: 'codeine', phenotype: 'PM' }, { ingredient: 'codeine', phenotype: 'UM' }, false],
    ['pgx: another drug', 'pgx', { ingredient: 'codeine', phenotype: 'PM' }, { ingredient: 'tramadol', phenotype: 'PM' }, false],
    ['cns: a subset of the justified classes', 'cns-depressant', { cnsClasses: ['benzodiazepine', 'gabapentinoid'] }, { cnsClasses: ['gabapentinoid'] }, true],
    ['cns: a new class', 'cns-depressant', { cnsClasses: ['gabapentinoid'] }, { cnsClasses: ['gabapentinoid', 'benzodiazepine'] }, false],
  ])('%s', (_name, topic, justified, current, quiet) => {
    expect(applicableException([onFile(topic, justified)], topic, current, now) !== undefined).toBe(quiet);
  });

  test('an expired exception quiets nothing', () => {
    const expired = { ...onFile('mme', { mmeTotal: 120 }), expiresAt: new Date(now.getTime() - 1) };
    expect(applicableException([expired], 'mme', { mmeTotal: 100, mmeTotalKnown: true }, now)).toBeUndefined();
  });
});

describe('justifications written in the app (DetectedIssue)', () => {
  const issue = (extra: Partial<DetectedIssue>, reason = 'stable-long-term', at = '2026-05-01T00:00:00Z'): DetectedIssue => ({
    resourceType: 'DetectedIssue', status: 'final', patient: { reference: 'Patient/p' }, identifiedDateTime: at,
    code: { coding: [{ system: 'urn:pain-cds:card-topic', code: 'mme' }] },
    mitigation: [{ action: { coding: [{ system: reasons.system, code: reason }] }, date: at }],
    ...extra,
  });

  test('a review date past the reason\'s validity is capped', () => {
    const [e] = exceptionsFromDetectedIssues([issue({ extension: [{ url: 'urn:pain-cds:review-date', valueDate: '2030-01-01' }] })], reasons, 'p');
    expect(e!.expiresAt.toISOString()).toBe(new Date(Date.parse('2026-05-01T00:00:00Z') + 90 * day).toISOString());
  });

  test('a review date within it is kept', () => {
    const [e] = exceptionsFromDetectedIssues([issue({ extension: [{ url: 'urn:pain-cds:review-date', valueDate: '2026-06-15' }] })], reasons, 'p');
    expect(e!.expiresAt.toISOString().slice(0, 10)).toBe('2026-06-15');
  });

  test('a draft or entered-in-error DetectedIssue counts for nothing', () => {
    expect(exceptionsFromDetectedIssues([issue({ status: 'preliminary' }), issue({ status: 'entered-in-error' })], reasons, 'p')).toEqual([]);
  });

  test('PDMP reviews documented: a review reason on any justification, or its "PDMP reviewed on" date', () => {
    expect(pdmpReviewsDocumented([], [issue({}, 'pdmp-reviewed', '2026-05-20T00:00:00Z')], reasons)?.toISOString().slice(0, 10)).toBe('2026-05-20');
    expect(pdmpReviewsDocumented([], [issue({ extension: [{ url: 'urn:pain-cds:pdmp-reviewed', valueDate: '2026-05-10' }] })], reasons)?.toISOString().slice(0, 10)).toBe('2026-05-10');
    expect(pdmpReviewsDocumented([], [issue({})], reasons)).toBeUndefined();
  });
});
