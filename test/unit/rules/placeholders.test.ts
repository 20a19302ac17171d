import { describe, expect, test } from 'vitest';
import { escapeMarkdown, FORMATTERS, formatValue, malformedPlaceholders, markdownTable, partsOf, placeholdersIn } from '../../../src/rules/placeholders.js';

/** Card text placeholders and formatters on their own. */
describe('placeholders', () => {
  test('a text is cut into literal parts and placeholders, with an optional formatter', () => {
    expect(partsOf('Total {{mme.total|mme}} for {{params.who}}.')).toEqual([
      'Total ',
      { raw: '{{mme.total|mme}}', name: 'mme.total', formatter: 'mme' },
      ' for ',
      { raw: '{{params.who}}', name: 'params.who' },
      '.',
    ]);
    expect(placeholdersIn('{{ parameters.mme.high | mme }}')).toEqual([{ raw: '{{ parameters.mme.high | mme }}', name: 'parameters.mme.high', formatter: 'mme' }]);
  });

  test('malformed placeholders are found for the loader to report', () => {
    expect(malformedPlaceholders('{{ mme total }} and {{mme.total}}')).toEqual(['{{ mme total }}']);
  });
});

describe('formatters', () => {
  test.each([
    ['mme', 92.4, '92 MME/day'],
    ['mme', 7.456, '7.46 MME/day'],
    ['mme', null, 'unknown MME/day'],
    ['number', 1234.4, '1,234'],
    ['list', ['a', 'b', 'c'], 'a, b and c'],
    ['list', [], 'none'],
    ['date', '2026-03-12T10:00:00Z', '12 March 2026'],
    ['date', 'not a date', 'unknown date'],
    ['yesno', true, 'yes'],
    ['yesno', null, 'unknown'],
    ['lower', 'Poor metabolizer', 'poor metabolizer'],
  ])('%s(%j) -> %s', (formatter, value, expected) => {
    expect(FORMATTERS[formatter]!(value)).toBe(expected);
  });

  test('values without a formatter: unknown for null, lists joined, numbers rounded', () => {
    expect(formatValue(null, undefined)).toBe('unknown');
    expect(formatValue(['x', 'y'], undefined)).toBe('x and y');
    expect(formatValue(12.6, undefined)).toBe('13');
  });
});

describe('markdown from values', () => {
  test('markup in a value is escaped', () => {
    expect(escapeMarkdown('**bold** _x_ [link](y) | `code`')).toBe('\\*\\*bold\\*\\* \\_x\\_ \\[link\\](y) \\| \\`code\\`');
  });

  test('a table formatter builds a markdown table with every cell escaped', () => {
    const table = markdownTable({ columns: [{ header: 'Drug', cell: (r) => r.drug }, { header: 'MME/day', cell: (r) => r.mme }] }, [{ drug: 'Oxy | *x*', mme: 60 }]);
    expect(table).toBe('| Drug | MME/day |\n| --- | --- |\n| Oxy \\| \\*x\\* | 60 |');
    expect(markdownTable({ columns: [{ header: 'A', cell: (r) => r.a }] }, [])).toBe('');
  });
});
