import type { Coding, MedicationRequest, ServiceRequest } from 'fhir/r4';
import { buildCard, type SuggestionDraft } from '../cds/card-builder.js';
import type { Action, Card, Indicator } from '../cds/types.js';
import type { TableFormatter } from './domain.js';
import { escapeMarkdown, formatValue, markdownTable, partsOf } from './placeholders.js';
import type { Parameters } from './parameters.js';
import type { CardTemplate, RuleDefinition } from './schemas.js';

/**
 * Fills a card template with the values of one rule firing and hands the
 * result to the card builder. Values put into markdown are escaped, so a drug
 * or patient name can never inject markup.
 */
export interface RenderInput {
  readonly template: CardTemplate;
  readonly rule: RuleDefinition;
  /** Patient facts merged with the order's facts for order-scope rules. */
  readonly facts: Readonly<Record<string, unknown>>;
  readonly settings: Readonly<Record<string, string>>;
  /** Named parameters of the rule set (rules/parameters.json), shown as `{{parameters.x}}`. */
  readonly parameters: Parameters;
  /** Table formatters registered by the domain (`{{mme.orders|mmeTable}}`): markdown built from escaped cells. */
  readonly tableFormatters: Readonly<Record<string, TableFormatter>>;
  readonly overrideReason: (code: string) => Coding | undefined;
  readonly dataVersions: readonly string[];
  /** Facts recorded in the card's provenance extension. */
  readonly provenanceFacts: readonly string[];
  /** Parameter values the rule used, recorded in the provenance extension. */
  readonly provenanceParameters?: Readonly<Record<string, number | string>>;
  /** Content hash of the rule set the card came from. */
  readonly ruleSet?: string;
  /** The order the card is about, or `patient`. */
  readonly subject?: string;
  readonly patientId: string;
}

export function renderCard(input: RenderInput): Card {
  const { template: t, rule } = input;
  const lookup = (name: string): unknown => {
    if (name.startsWith('settings.')) return input.settings[name.slice('settings.'.length)];
    if (name.startsWith('parameters.')) return input.parameters.get(name.slice('parameters.'.length))?.value;
    return input.facts[name];
  };
  // Rule parameters are text written by informaticists: trusted, and may hold
  // placeholders of their own. Values from the patient record are escaped.
  const fill = (text: string, markdown = false): string => {
    let out = '';
    for (const part of partsOf(text)) {
      if (typeof part === 'string') {
        out += part;
      } else if (part.name.startsWith('params.')) {
        const param = rule.event.params[part.name.slice('params.'.length)];
        out += typeof param === 'string' && !part.formatter ? fill(param, markdown) : formatValue(param, part.formatter);
      } else if (part.formatter && Object.hasOwn(input.tableFormatters, part.formatter)) {
        out += markdownTable(input.tableFormatters[part.formatter]!, lookup(part.name));
      } else {
        const formatted = formatValue(lookup(part.name), part.formatter);
        out += markdown ? escapeMarkdown(formatted) : formatted;
      }
    }
    return out;
  };

  // appContext is a query string for the app (`view=mme&mme={{mme.total}}`):
  // each value is URL-encoded, numbers unformatted, lists comma-separated.
  const fillQuery = (text: string): string => {
    let out = '';
    for (const part of partsOf(text)) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = part.name.startsWith('params.') ? rule.event.params[part.name.slice('params.'.length)] : lookup(part.name);
      out += encodeURIComponent(Array.isArray(value) ? value.join(',') : value === undefined || value === null ? '' : String(value));
    }
    return out;
  };

  const indicator = fill(t.indicator);
  if (indicator !== 'info' && indicator !== 'warning' && indicator !== 'critical') {
    throw new Error(`card template '${t.id}' produced indicator '${indicator}'`);
  }
  const suggestions: SuggestionDraft[] = (t.suggestions ?? []).map((s) => ({
    label: fill(s.label),
    ...(s.isRecommended ? { isRecommended: true } : {}),
    actions: s.actions.map((a): Action => {
      if (a.type === 'delete') return { type: 'delete', description: fill(a.description), resourceId: fill(a.resourceId) };
      const resource = a.serviceRequest ? serviceRequest(a.serviceRequest, fill, input.patientId) : medicationRequest(a.medicationRequest!, fill, input.patientId);
      return { type: 'create', description: fill(a.description), resource };
    }),
  }));
  const values: Record<string, unknown> = {};
  for (const name of input.provenanceFacts) if (input.facts[name] !== undefined) values[name] = input.facts[name];
  if (input.provenanceParameters && Object.keys(input.provenanceParameters).length > 0) values.parameters = input.provenanceParameters;
  values.citation = rule.citation;
  values.template = `${t.id}@${t.version}`;
  if (t.source.topic) values.topic = t.source.topic.code;

  return buildCard({
    summary: fill(t.summary),
    indicator: indicator as Indicator,
    ...(t.detail ? { detail: fill(t.detail, true) } : {}),
    source: { label: fill(t.source.label), ...(t.source.url ? { url: t.source.url } : {}), ...(t.source.topic ? { topic: t.source.topic } : {}) },
    suggestions,
    ...(t.selectionBehavior ? { selectionBehavior: t.selectionBehavior } : {}),
    overrideReasons: (t.overrideReasons ?? []).flatMap((code) => {
      const coding = input.overrideReason(code);
      return coding ? [coding] : [];
    }),
    links: (t.links ?? []).map((l) => ({
      label: fill(l.label),
      url: fill(l.url),
      type: l.type,
      ...(l.type === 'smart' && l.appContext ? { appContext: fillQuery(l.appContext) } : {}),
    })),
    provenance: {
      ruleId: rule.id,
      ruleVersion: rule.version,
      ...(input.ruleSet ? { ruleSet: input.ruleSet } : {}),
      ...(input.subject ? { subject: input.subject } : {}),
      dataVersions: [...input.dataVersions],
      values,
    },
  });
}

type CreateTemplate = Extract<NonNullable<CardTemplate['suggestions']>[number]['actions'][number], { type: 'create' }>;

function medicationRequest(spec: NonNullable<CreateTemplate['medicationRequest']>, fill: (s: string) => string, patientId: string): MedicationRequest {
  const display = fill(spec.medication.display);
  const order: MedicationRequest = {
    resourceType: 'MedicationRequest',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: { coding: [{ system: fill(spec.medication.system), code: fill(spec.medication.code), display }], text: display },
  };
  if (spec.sig) order.dosageInstruction = [{ text: fill(spec.sig) }];
  return order;
}

/** A draft order for a test (status draft, intent order) for this patient; the EHR's order screen shows `code.text`. */
function serviceRequest(spec: NonNullable<CreateTemplate['serviceRequest']>, fill: (s: string) => string, patientId: string): ServiceRequest {
  const display = fill(spec.code.display);
  return {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    code: { coding: [{ system: fill(spec.code.system), code: fill(spec.code.code), display }], text: spec.text ? fill(spec.text) : display },
  };
}
