import type { MedicationRequest, MedicationStatement, Ratio } from 'fhir/r4';
import { conceptText, drugName, medicationOf, rxnormCodes, type MedicationResolver } from '../medication.js';
import type { MmeKnowledge } from './tables.js';

/**
 * Which opioid an order is, and how strong, from (in order): the RxNorm
 * product code in the curated table, a Medication resource's ingredient
 * strengths, or the RxNorm normalized name ("Oxycodone Hydrochloride 5 MG Oral
 * Tablet"). Salts count as the base ingredient.
 */
export type StrengthUnit = 'mg' | 'mg/mL' | 'mcg/h' | 'mg/actuat' | 'mcg';

export interface OpioidComponent {
  readonly ingredient: string;
  readonly strength: number;
  readonly unit: StrengthUnit;
}

/**
 * Route and transmucosal form, as far as the MME factors care: the 2018 fentanyl factors
 * differ for buccal or sublingual tablets and lozenges (0.13/mcg), films and oral sprays
 * (0.18/mcg) and nasal sprays (0.16/mcg); injections are parenteral and never take oral factors.
 */
export type Route = 'oral' | 'transdermal' | 'buccal' | 'sublingual' | 'lozenge' | 'film' | 'oral-spray' | 'nasal' | 'injection' | 'rectal' | 'other';

export type OpioidIdentification =
  | { readonly kind: 'not-opioid' }
  | {
      readonly kind: 'opioid';
      readonly drug: string;
      readonly components: readonly OpioidComponent[];
      /** Other active ingredients (acetaminophen ...): a dose in mg is then ambiguous. */
      readonly combination: boolean;
      readonly doseForm: string;
      readonly route: Route;
      readonly longActing: boolean;
      /** Buprenorphine for opioid use disorder: not a pain opioid. */
      readonly oudTreatment: boolean;
    }
  | { readonly kind: 'unresolved'; readonly drug: string; readonly ingredient?: string; readonly oudTreatment: boolean; readonly reason: string };

const memo = new WeakMap<MmeKnowledge, WeakMap<MedicationRequest | MedicationStatement, OpioidIdentification>>();

/** Identifies an order once per knowledge set: several facts ask about the same order in one call. */
/** The opioid ingredient an identification names (the first component of an opioid, or the unresolved ingredient); undefined when none. */
export function mainIngredient(id: OpioidIdentification): string | undefined {
  return id.kind === 'opioid' ? id.components[0]?.ingredient : id.kind === 'unresolved' ? id.ingredient : undefined;
}

export function identifyOpioid(order: MedicationRequest | MedicationStatement, resolve: MedicationResolver | undefined, k: MmeKnowledge): OpioidIdentification {
  let known = memo.get(k);
  if (!known) memo.set(k, (known = new WeakMap()));
  let id = known.get(order);
  if (!id) known.set(order, (id = identify(order, resolve, k)));
  return id;
}

function identify(order: MedicationRequest | MedicationStatement, resolve: MedicationResolver | undefined, k: MmeKnowledge): OpioidIdentification {
  const { concept, medication } = medicationOf(order, resolve);
  const drug = drugName(order, resolve);
  const text = conceptText(concept);

  for (const code of rxnormCodes(concept)) {
    const rows = k.productsByRxcui.get(code);
    if (!rows) continue;
    const name = rows[0]!.name;
    return describe(drug, name, rows[0]!.doseForm, rows.map((r) => tableComponent(r.ingredient, r.strength, r.unit, r.doseForm)), / \/ /.test(name), k);
  }

  if (medication?.ingredient?.length) {
    const components: OpioidComponent[] = [];
    let other = false;
    let unresolved: string | undefined;
    for (const ing of medication.ingredient) {
      const name = ingredientName(rxnormCodes(ing.itemCodeableConcept), conceptText(ing.itemCodeableConcept), k);
      if (!name) {
        other = true;
        continue;
      }
      const strength = ratioStrength(ing.strength);
      if (!strength) unresolved = `${name}: the medication record gives no usable strength`;
      else components.push({ ingredient: name, ...strength });
    }
    const formText = conceptText(medication.form);
    if (unresolved) return { kind: 'unresolved', drug, ingredient: components[0]?.ingredient, oudTreatment: false, reason: unresolved };
    if (components.length > 0) return describe(drug, `${text} ${formText}`, formText || text, components, other, k);
  }

  const byCode = rxnormCodes(concept).map((c) => k.ingredientByRxcui.get(c)).find(Boolean);
  const parsed = parseName(text, k);
  if (parsed && parsed.components.length > 0) return describe(drug, text, parsed.doseForm, parsed.components, parsed.combination, k);
  const ingredient = parsed?.ingredient ?? byCode;
  if (ingredient) {
    const oud = ingredient === 'buprenorphine' && k.oudBuprenorphine.some((p) => p.test(text));
    return { kind: 'unresolved', drug, ingredient, oudTreatment: oud, reason: 'the product and its strength could not be identified' };
  }
  return { kind: 'not-opioid' };
}

function describe(drug: string, name: string, doseForm: string, components: OpioidComponent[], combination: boolean, k: MmeKnowledge): OpioidIdentification {
  const all = `${name} ${doseForm}`;
  const route = routeOf(all);
  const ingredientLongActing = components.some((c) => k.ingredients.ingredients.find((i) => i.name === c.ingredient)?.longActing);
  const isBuprenorphine = components.some((c) => c.ingredient === 'buprenorphine');
  return {
    kind: 'opioid',
    drug,
    components,
    combination,
    doseForm,
    route,
    longActing: ingredientLongActing || k.longActing.some((p) => p.test(all)),
    oudTreatment: isBuprenorphine && k.oudBuprenorphine.some((p) => p.test(all)),
  };
}

function ingredientName(codes: string[], text: string, k: MmeKnowledge): string | undefined {
  for (const c of codes) {
    const n = k.ingredientByRxcui.get(c);
    if (n) return n;
  }
  k.nameMatcher.lastIndex = 0;
  const m = k.nameMatcher.exec(text);
  return m ? m[1]!.toLowerCase() : undefined;
}

export function routeOf(text: string): Route {
  const t = text.toLowerCase();
  if (t.includes('transdermal') || t.includes('patch')) return 'transdermal';
  if (t.includes('nasal')) return 'nasal';
  if (/\bfilms?\b/.test(t)) return 'film';
  if (/\bspray\b/.test(t)) return 'oral-spray';
  if (/lozenge|troche/.test(t)) return 'lozenge';
  if (t.includes('sublingual')) return 'sublingual';
  if (t.includes('buccal')) return 'buccal';
  if (/inject|intravenous|\biv\b|intramuscular|subcutaneous|syringe|cartridge|infusion|epidural|intrathecal|auto-injector/.test(t)) return 'injection';
  if (t.includes('rectal') || t.includes('suppositor')) return 'rectal';
  if (/oral|tablet|capsule|solution|syrup|elixir|suspension/.test(t)) return 'oral';
  return 'other';
}

function tableComponent(ingredient: string, strength: number, unit: string, doseForm: string): OpioidComponent {
  const u = unitOf(unit, doseForm);
  // The table gives patches in MG/HR; MME factors are per mcg/h.
  return { ingredient, strength: u === 'mcg/h' && unit.toUpperCase() === 'MG/HR' ? Math.round(strength * 1000 * 1000) / 1000 : strength, unit: u };
}

function unitOf(unit: string, doseForm: string): StrengthUnit {
  switch (unit.toUpperCase()) {
    case 'MG/ML':
      return 'mg/mL';
    case 'MG/HR':
      return 'mcg/h';
    case 'MCG/HR':
      return 'mcg/h';
    case 'MG/ACTUAT':
      return 'mg/actuat';
    case 'MCG':
      return 'mcg';
    default:
      return /transdermal/i.test(doseForm) ? 'mcg/h' : 'mg';
  }
}

/** Strength as mg, mg/mL, mcg/h ... Table rows in MG/HR are converted to mcg/h (x 1000). */
function ratioStrength(r: Ratio | undefined): { strength: number; unit: StrengthUnit } | undefined {
  const num = r?.numerator;
  if (!num || typeof num.value !== 'number' || !(num.value > 0)) return undefined;
  const nu = (num.code ?? num.unit ?? '').toLowerCase();
  const du = (r.denominator?.code ?? r.denominator?.unit ?? '').toLowerCase();
  const den = typeof r.denominator?.value === 'number' && r.denominator.value > 0 ? r.denominator.value : 1;
  const perVolume = du === 'ml';
  const perHour = du === 'h' || du === 'hr' || du === '/h';
  if (nu === 'mg') return perVolume ? { strength: num.value / den, unit: 'mg/mL' } : perHour ? { strength: (num.value * 1000) / den, unit: 'mcg/h' } : { strength: num.value / den, unit: 'mg' };
  if (nu === 'ug' || nu === 'mcg') return perHour ? { strength: num.value / den, unit: 'mcg/h' } : perVolume ? { strength: num.value / 1000 / den, unit: 'mg/mL' } : { strength: num.value / den, unit: 'mcg' };
  return undefined;
}

const STRENGTH = /(\d+(?:\.\d+)?)\s*(MG|MCG|UG)(?:\s*\/\s*(ML|HR|ACTUAT))?/i;

/** Parses an RxNorm normalized name such as "Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet". */
function parseName(text: string, k: MmeKnowledge): { components: OpioidComponent[]; ingredient?: string; combination: boolean; doseForm: string } | undefined {
  if (!text) return undefined;
  const cleaned = text.replace(/\[[^\]]*\]/g, ' ');
  const segments = cleaned.split(/\s\/\s/);
  const components: OpioidComponent[] = [];
  let firstIngredient: string | undefined;
  let doseForm = '';
  for (const segment of segments) {
    k.nameMatcher.lastIndex = 0;
    const m = k.nameMatcher.exec(segment);
    const s = STRENGTH.exec(segment.slice(m ? m.index : 0));
    const after = s ? segment.slice(segment.indexOf(s[0]) + s[0].length).trim() : '';
    if (after) doseForm = after;
    if (!m) continue;
    const ingredient = m[1]!.toLowerCase();
    firstIngredient ??= ingredient;
    if (!s) continue;
    const value = Number(s[1]);
    const unit = s[2]!.toUpperCase();
    const per = s[3]?.toUpperCase();
    if (unit === 'MG' && per === 'HR') components.push({ ingredient, strength: value * 1000, unit: 'mcg/h' });
    else if (unit !== 'MG' && per === 'HR') components.push({ ingredient, strength: value, unit: 'mcg/h' });
    else if (unit === 'MG' && per === 'ML') components.push({ ingredient, strength: value, unit: 'mg/mL' });
    else if (unit === 'MG' && per === 'ACTUAT') components.push({ ingredient, strength: value, unit: 'mg/actuat' });
    else if (unit === 'MG') components.push({ ingredient, strength: value, unit: 'mg' });
    else components.push({ ingredient, strength: value, unit: 'mcg' });
  }
  if (!firstIngredient) return undefined;
  const combination = segments.length > 1 || k.nonOpioidMatcher.test(cleaned);
  return { components, ingredient: firstIngredient, combination, doseForm: doseForm || cleaned };
}
