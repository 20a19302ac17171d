import { describe, expect, test } from 'vitest';
import { describeScore, multiplyScore, normalizeDiplotype, phenotypeFromScore, scoreDiplotype } from '../../../src/clinical/pgx/index.js';
import { loadKnowledge } from '../../helpers/knowledge.js';

const k = loadKnowledge();
const values = k.cyp2d6.activity.data;
const thresholds = k.cyp2d6.phenotypes.data;

const phenotypeOf = (diplotype: string) => phenotypeFromScore(scoreDiplotype(diplotype, values), thresholds);

// Rows from the CPIC tables (reference rows first), then duplications, bins, ranges, tandems, sub-alleles and unknowns.
const EXACT: [string, number, 'UM' | 'NM' | 'IM' | 'PM'][] = [
  ['*1/*1', 2.0, 'NM'],
  ['*1/*4', 1.0, 'IM'],
  ['*4/*4', 0, 'PM'],
  ['*1/*10', 1.25, 'NM'],
  ['*4/*10', 0.25, 'IM'],
  ['*10/*10', 0.5, 'IM'],
  ['*1/*41', 1.25, 'NM'],
  ['*1/*1x2', 3.0, 'UM'],
  ['*2x2/*4', 2.0, 'NM'],
  ['*1x2/*17', 2.5, 'UM'],
  ['*4/*4x2', 0, 'PM'],
  ['*1x2/*41', 2.25, 'NM'],
  ['*1/*2', 2.0, 'NM'],
  ['*2/*2', 2.0, 'NM'],
  ['*1/*17', 1.5, 'NM'],
  ['*17/*17', 1.0, 'IM'],
  ['*1/*9', 1.25, 'NM'],
  ['*9/*41', 0.5, 'IM'],
  ['*41/*41', 0.5, 'IM'],
  ['*4/*41', 0.25, 'IM'],
  ['*5/*5', 0, 'PM'],
  ['*3/*4', 0, 'PM'],
  ['*4/*6', 0, 'PM'],
  ['*1/*5', 1.0, 'IM'],
  ['*2/*29', 1.5, 'NM'],
  ['*29/*29', 1.0, 'IM'],
  ['*14/*4', 0.5, 'IM'],
  ['*35/*4', 1.0, 'IM'],
  ['*1x2/*4', 2.0, 'NM'],
  ['*1x2/*1', 3.0, 'UM'],
  ['*2x2/*2x2', 4.0, 'UM'],
  ['*10x2/*4', 0.5, 'IM'],
  ['*41x3/*4', 0.75, 'IM'],
  ['*17x2/*1', 2.0, 'NM'],
  ['*36+*10/*4', 0.25, 'IM'],
  ['*36+*10/*1', 1.25, 'NM'],
  ['*36+*10/*36+*10', 0.5, 'IM'],
  ['*4.024/*41', 0.25, 'IM'],
  ['*2.001/*1.002', 2.0, 'NM'],
  ['CYP2D6 *1/*4', 1.0, 'IM'],
  ['CYP2D6*4.024/CYP2D6*41', 0.25, 'IM'],
  ['CYP2D6_*1/*2x2', 3.0, 'UM'],
  ['*1 / *4', 1.0, 'IM'],
  ['*1/*2X2', 3.0, 'UM'],
  ['*45/*46', 2.0, 'NM'],
  ['*1/*36', 1.0, 'IM'],
];

describe('activity score and phenotype from a diplotype', () => {
  test.each(EXACT)('%s -> %s -> %s', (diplotype, score, phenotype) => {
    expect(scoreDiplotype(diplotype, values)).toEqual({ kind: 'exact', value: score });
    expect(phenotypeOf(diplotype).code).toBe(phenotype);
  });

  test.each([
    ['*1/*1x≥3', 4.0],
    ['*1/*1x3', 4.0],
    ['*2x5/*4', 3.0],
    ['*1x>=3/*4', 3.0],
  ])('%s is a lower bound ≥%s, ultrarapid', (diplotype, min) => {
    expect(scoreDiplotype(diplotype, values)).toEqual({ kind: 'atLeast', value: min });
    expect(phenotypeOf(diplotype)).toMatchObject({ code: 'UM', display: 'Ultrarapid metabolizer' });
  });

  test('unknown copy number on a functional allele counts as the x≥3 bin: a lower bound, ultrarapid', () => {
    const score = scoreDiplotype('*2xN/*4', values);
    expect(score).toEqual({ kind: 'atLeast', value: 3.0 });
    expect(describeScore(score)).toBe('≥3.0');
    expect(phenotypeOf('*2xN/*4')).toEqual({ code: 'UM', display: 'Ultrarapid metabolizer', possible: ['UM'] });
  });

  test('unknown copy number on a no-function allele is still 0', () => {
    expect(scoreDiplotype('*4xN/*4', values)).toEqual({ kind: 'exact', value: 0 });
  });

  test.each([
    ['*1/*22', '*22'],
    ['*1/*43x2', '*43'],
    ['*4/*999', '*999'],
    ['*1/*28', '*28'],
    ['*22xN/*1', '*22'],
  ])('%s is Indeterminate and the reason names %s', (diplotype, allele) => {
    const score = scoreDiplotype(diplotype, values);
    expect(score.kind).toBe('indeterminate');
    expect((score as { reason: string }).reason).toContain(allele);
    expect(phenotypeOf(diplotype).code).toBe('Indeterminate');
  });

  test.each(['', 'positive', '*1', '*1/*4/*10', 'CYP2D6 normal', '*a/*b'])('unreadable "%s" is Indeterminate, never normal', (text) => {
    expect(scoreDiplotype(text, values).kind).toBe('indeterminate');
  });

  test.each([
    [0, 'PM'],
    [0.25, 'IM'],
    [1.0, 'IM'],
    [1.25, 'NM'],
    [2.25, 'NM'],
    [2.5, 'UM'],
  ] as const)('boundary: activity score %s is %s', (value, code) => {
    expect(phenotypeFromScore({ kind: 'exact', value }, thresholds).code).toBe(code);
  });

  test('normalisation keeps copy numbers and drops sub-alleles and prefixes', () => {
    expect(normalizeDiplotype('CYP2D6*4.024/CYP2D6*41')).toBe('*4/*41');
    expect(normalizeDiplotype('CYP2D6 *1/*2x2')).toBe('*1/*2x2');
    expect(normalizeDiplotype('*36+*10/*1xN')).toBe('*36+*10/*1xN');
  });

  test('phenoconversion multiplies the score: strong x0, moderate x0.5', () => {
    expect(multiplyScore({ kind: 'exact', value: 2 }, 0)).toEqual({ kind: 'exact', value: 0 });
    expect(multiplyScore({ kind: 'exact', value: 2 }, 0.5)).toEqual({ kind: 'exact', value: 1 });
    expect(multiplyScore({ kind: 'atLeast', value: 4 }, 0.5)).toEqual({ kind: 'atLeast', value: 2 });
    expect(multiplyScore({ kind: 'indeterminate', reason: 'allele *22 has unknown or uncertain function' }, 0)).toEqual({ kind: 'exact', value: 0 });
    expect(multiplyScore({ kind: 'indeterminate', reason: 'x' }, 0.5).kind).toBe('indeterminate');
  });
});
