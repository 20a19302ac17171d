import type { Dosage, Quantity } from 'fhir/r4';
import type { OpioidComponent } from './identify.js';

/**
 * Daily amount of the opioid in one order, from its dosage instructions:
 * administrations per day (frequency, or frequencyMax when larger, per period;
 * else the count of timeOfDay; else a standard timing code) x amount per
 * administration (doseQuantity, or the high end of doseRange). As-needed
 * orders count at their maximum. Instructions with the same sequence number
 * run together and are summed; different sequence numbers are consecutive
 * steps (a taper) and the largest step counts.
 */
export type DailyAmount =
  | { readonly ok: true; readonly value: number; readonly unit: 'mg' | 'mcg/h' | 'mcg'; readonly prn: boolean; readonly note?: string }
  | { readonly ok: false; readonly reason: string };

/** UCUM time units (Timing.repeat.periodUnit, Duration.code) -> days. */
/** The one table of time units: UCUM codes, and the words EHRs write in `unit` when they send no code. */
const PERIOD_DAYS: Record<string, number> = {
  s: 1 / 86_400, min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365,
  second: 1 / 86_400, seconds: 1 / 86_400, minute: 1 / 1440, minutes: 1 / 1440, hour: 1 / 24, hours: 1 / 24,
  day: 1, days: 1, week: 7, weeks: 7, month: 30, months: 30, year: 365, years: 365,
};

/** Days in `value` of a time unit (UCUM code or word); undefined for anything else (including prototype keys). */
export function daysOf(value: number, unit: unknown): number | undefined {
  const key = typeof unit === 'string' ? (unit === 'min' || unit === 'mo' ? unit : unit.toLowerCase()) : undefined;
  return key !== undefined && Object.hasOwn(PERIOD_DAYS, key) ? value * PERIOD_DAYS[key]! : undefined;
}

/** A FHIR Duration in days, from its UCUM code (or its unit word); undefined when not usable. */
export function durationDays(d: { value?: number; code?: string; unit?: string } | undefined): number | undefined {
  if (typeof d?.value !== 'number' || !(d.value > 0)) return undefined;
  return daysOf(d.value, d.code ?? d.unit);
}

/** HL7 GTSAbbreviation timing codes -> administrations per day. */
const TIMING_CODES: Record<string, number> = { QD: 1, QOD: 0.5, BID: 2, TID: 3, QID: 4, AM: 1, PM: 1, Q4H: 6, Q6H: 4, Q8H: 3, Q12H: 2 };

/**
 * Units that mean "one unit of the product's dose form": plain words, and the UCUM
 * annotations clients send for them ({tbl}, {pill}, {tablet}, {capsule} ...; an
 * annotation alone is a count of 1 in UCUM). Anything else is not guessed.
 */
const COUNT_WORDS = new Set([
  '1', 'tab', 'tabs', 'tablet', 'tablets', 'tbl', 'pill', 'pills', 'cap', 'caps', 'capsule', 'capsules', 'caplet', 'caplets',
  'patch', 'patches', 'system', 'systems', 'each', 'ea', 'unit', 'units', 'spray', 'sprays', 'actuat', 'actuation', 'actuations',
  'puff', 'puffs', 'film', 'films', 'strip', 'strips', 'lozenge', 'lozenges', 'troche', 'troches', 'suppository', 'suppositories', 'supp',
]);

/** A dose unit that counts units of the dose form (tablets, patches, sprays ...). */
export function isCountUnit(unit: string): boolean {
  const u = unit.trim().toLowerCase();
  if (u === '') return true;
  const annotation = /^\{([^{}]+)\}$/.exec(u);
  const word = (annotation ? annotation[1]! : u).replace(/\(s\)$/, '').trim();
  return COUNT_WORDS.has(word);
}

export function administrationsPerDay(d: Dosage): number | undefined {
  const r = d.timing?.repeat;
  if (r) {
    const freq = Math.max(r.frequency ?? 0, r.frequencyMax ?? 0) || (r.period !== undefined ? 1 : 0);
    const period = r.periodMax !== undefined && r.period !== undefined ? Math.min(r.period, r.periodMax) : r.period;
    const days = period !== undefined && r.periodUnit ? (daysOf(period, r.periodUnit) ?? NaN) : undefined;
    if (freq > 0 && days !== undefined && days > 0 && Number.isFinite(days)) return freq / days;
    if (r.timeOfDay?.length) return r.timeOfDay.length;
    if (r.when?.length) return r.when.length;
  }
  const code = d.timing?.code?.coding?.find((c) => c.code && TIMING_CODES[c.code.toUpperCase()] !== undefined)?.code;
  return code ? TIMING_CODES[code.toUpperCase()] : undefined;
}

export function doseOf(d: Dosage): Quantity | undefined {
  const dr = Array.isArray(d.doseAndRate) ? d.doseAndRate[0] : (d.doseAndRate as unknown as NonNullable<Dosage['doseAndRate']>[number] | undefined);
  return dr?.doseQuantity ?? dr?.doseRange?.high;
}

/** The amount of opioid in one administration, or why it cannot be known. */
export function amountPerAdministration(q: Quantity, c: OpioidComponent, combination: boolean): { value: number; unit: 'mg' | 'mcg/h' | 'mcg' } | string {
  if (typeof q.value !== 'number' || !(q.value > 0) || !Number.isFinite(q.value)) return 'the dose amount is missing or not a positive number';
  const code = (q.code ?? '').trim().toLowerCase();
  const text = (q.unit ?? '').trim().toLowerCase();
  const unit = code || text;
  // A dose-form code from another code system (e.g. an NCI or EDQM code) with a readable unit such as "tablet".
  const isCount = isCountUnit(unit) || (code !== '' && !/^(mg|ug|mcg|ml|g|l)$/.test(code) && text !== '' && isCountUnit(text));
  switch (c.unit) {
    case 'mcg/h':
      return isCount ? { value: q.value * c.strength, unit: 'mcg/h' } : `a patch dose in '${unit}' cannot be converted`;
    case 'mg':
      if (isCount) return { value: q.value * c.strength, unit: 'mg' };
      if (unit === 'mg' && !combination) return { value: q.value, unit: 'mg' };
      if (unit === 'mg') return 'a dose in mg is ambiguous for a combination product';
      return `a dose in '${unit}' cannot be converted for this product`;
    case 'mg/mL':
      if (unit === 'ml') return { value: q.value * c.strength, unit: 'mg' };
      if (unit === 'mg' && !combination) return { value: q.value, unit: 'mg' };
      return `a liquid dose in '${unit || 'no unit'}' cannot be converted; give it in mL`;
    case 'mg/actuat':
      return isCount ? { value: q.value * c.strength, unit: 'mg' } : `a dose in '${unit}' cannot be converted for this product`;
    case 'mcg':
      if (isCount) return { value: q.value * c.strength, unit: 'mcg' };
      if (unit === 'mcg' || unit === 'ug') return { value: q.value, unit: 'mcg' };
      return `a dose in '${unit}' cannot be converted for this product`;
  }
}

export function dailyAmount(dosages: readonly Dosage[] | undefined, c: OpioidComponent, combination: boolean): DailyAmount {
  if (!dosages || dosages.length === 0) return { ok: false, reason: 'the order has no dosage instructions' };
  const groups = new Map<number | 'none', { value: number; unit: 'mg' | 'mcg/h' | 'mcg' }[]>();
  let prn = false;
  for (const d of dosages) {
    if (d.asNeededBoolean || d.asNeededCodeableConcept) prn = true;
    const q = doseOf(d);
    if (!q) return { ok: false, reason: 'no dose amount is given' };
    const amount = amountPerAdministration(q, c, combination);
    if (typeof amount === 'string') return { ok: false, reason: amount };
    // A patch is worn continuously: its strength is the daily exposure whatever the change interval.
    let perDay: number;
    if (amount.unit === 'mcg/h') perDay = amount.value;
    else {
      const n = administrationsPerDay(d);
      if (n === undefined) return { ok: false, reason: 'no frequency is given' };
      perDay = amount.value * n;
    }
    const key = d.sequence ?? 'none';
    const list = groups.get(key) ?? [];
    list.push({ value: perDay, unit: amount.unit });
    groups.set(key, list);
  }
  const sums = [...groups.values()].map((list) => ({ value: list.reduce((s, a) => s + a.value, 0), unit: list[0]!.unit }));
  if (new Set(sums.map((s) => s.unit)).size > 1) return { ok: false, reason: 'dosage instructions use incompatible units' };
  const best = sums.reduce((a, b) => (b.value > a.value ? b : a));
  const note = groups.size > 1 ? 'several sequential steps: the largest daily amount is counted' : undefined;
  return { ok: true, value: best.value, unit: best.unit, prn, ...(note ? { note } : {}) };
}

/** "1 tablet", "2 tablets", "2 patches"; a UCUM annotation loses its braces ("{tbl}" -> "tbl"); units such as mg or mL are left as they are. */
function countUnit(unit: string, value: number): string {
  const word = unit.replace(/^\{(.+)\}$/, '$1');
  if (value === 1 || !/^(tablet|capsule|patch|spray|puff|film|lozenge|suppository|drop|dose|sachet|packet|application|pill)$/i.test(word)) return word;
  return /patch$/i.test(word) ? `${word}es` : /suppository$/i.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`;
}

/** "1 tablet every 6 hours as needed" (or the instruction's own text). */
export function describeSig(dosages: readonly Dosage[] | undefined): string {
  const d = dosages?.[0];
  if (!d) return 'no instructions';
  if (d.text) return d.text;
  const q = doseOf(d);
  const dose = q?.value !== undefined ? `${q.value} ${countUnit(q.unit ?? q.code ?? '', q.value)}`.trim() : 'dose not given';
  const r = d.timing?.repeat;
  let when = '';
  if (r?.period !== undefined && r.periodUnit) {
    const f = Math.max(r.frequency ?? 1, r.frequencyMax ?? 0);
    const unit = { s: 'second', min: 'minute', h: 'hour', d: 'day', wk: 'week', mo: 'month', a: 'year' }[r.periodUnit] ?? r.periodUnit;
    when = f === 1 ? ` every ${r.period === 1 ? '' : `${r.period} `}${unit}${r.period === 1 ? '' : 's'}` : r.period === 1 ? ` ${f} times a ${unit}` : ` ${f} times every ${r.period} ${unit}s`;
  } else if (r?.timeOfDay?.length) when = ` at ${r.timeOfDay.join(', ')}`;
  else if (d.timing?.code?.coding?.[0]?.code) when = ` ${d.timing.code.coding[0].code}`;
  const prn = d.asNeededBoolean || d.asNeededCodeableConcept ? ' as needed' : '';
  const more = (dosages?.length ?? 0) > 1 ? ` (+${dosages!.length - 1} more instruction${dosages!.length > 2 ? 's' : ''})` : '';
  return `${dose}${when}${prn}${more}`;
}
