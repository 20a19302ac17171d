import type { TableFormatter } from './domain.js';

/**
 * Card template placeholders: `{{name}}` or `{{name|formatter}}`. A name is
 * `params.x` (from the rule's event), a fact from the catalog (e.g.
 * `mme.total`, `order.drug`) or a setting (`settings.pdmpUrl`). Formatters turn
 * values into text for people ("92 MME/day").
 */
export interface Placeholder {
  readonly raw: string;
  readonly name: string;
  readonly formatter?: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.]*)\s*(?:\|\s*([A-Za-z]+)\s*)?\}\}/g;

/**
 * A text cut at its placeholders: literal pieces and placeholders, in order.
 * Template and parameter texts are few and fixed: each is cut once.
 */
export type TextPart = string | Placeholder;
const cut = new Map<string, readonly TextPart[]>();

export function placeholdersIn(text: string): readonly Placeholder[] {
  return partsOf(text).filter((p): p is Placeholder => typeof p !== 'string');
}

export function partsOf(text: string): readonly TextPart[] {
  let parts = cut.get(text);
  if (!parts) {
    const list: TextPart[] = [];
    let at = 0;
    for (const m of text.matchAll(PLACEHOLDER)) {
      if (m.index > at) list.push(text.slice(at, m.index));
      list.push({ raw: m[0], name: m[1]!, ...(m[2] ? { formatter: m[2] } : {}) });
      at = m.index + m[0].length;
    }
    if (at < text.length) list.push(text.slice(at));
    parts = list;
    if (cut.size < 10_000) cut.set(text, parts);
  }
  return parts;
}

/** Text that looks like a placeholder but is malformed (e.g. `{{ mme total }}`), for loader errors. */
export function malformedPlaceholders(text: string): string[] {
  const all = text.match(/\{\{[^}]*\}\}/g) ?? [];
  return all.filter((p) => placeholdersIn(p).length === 0);
}

type Formatter = (value: unknown) => string;

function cell(value: unknown): string {
  return escapeMarkdown(formatValue(value, undefined)).replace(/\n/g, ' ');
}

/** A markdown table from a list fact, with the columns a domain registered (src/rules/domain.ts TableFormatter); every cell escaped. */
export function markdownTable(formatter: TableFormatter, value: unknown): string {
  const rows = records(value);
  if (rows.length === 0) return '';
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const header = formatter.columns.map((c) => c.header);
  return [line(header), line(header.map(() => '---')), ...rows.map((r) => line(formatter.columns.map((c) => cell(c.cell(r)))))].join('\n');
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null) : [];
}

const number = (value: unknown): string => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'unknown';
  const rounded = Math.abs(value) >= 10 ? Math.round(value) : Math.round(value * 100) / 100;
  return rounded.toLocaleString('en-US');
};

export const FORMATTERS: Readonly<Record<string, Formatter>> = {
  /** 92 -> "92 MME/day" */
  mme: (v) => (typeof v === 'number' && Number.isFinite(v) ? `${number(v)} MME/day` : 'unknown MME/day'),
  number,
  /** ["a","b","c"] -> "a, b and c" */
  list: (v) => {
    const items = (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null && x !== '').map(String);
    if (items.length === 0) return 'none';
    return items.length === 1 ? items[0]! : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
  },
  /** ISO date-time -> "12 March 2026" */
  date: (v) => {
    const d = typeof v === 'string' || v instanceof Date ? new Date(v) : undefined;
    if (!d || Number.isNaN(d.getTime())) return 'unknown date';
    return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  },
  yesno: (v) => (v === true ? 'yes' : v === false ? 'no' : 'unknown'),
  lower: (v) => String(v ?? '').toLowerCase(),
};

/** Characters with meaning in GitHub-flavoured markdown, escaped in values put into card detail. */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]#|~])/g, '\\$1');
}

export function formatValue(value: unknown, formatter: string | undefined): string {
  if (formatter) return FORMATTERS[formatter]!(value);
  if (value === undefined || value === null) return 'unknown';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return number(value);
  if (Array.isArray(value)) return FORMATTERS.list!(value);
  return String(value);
}
