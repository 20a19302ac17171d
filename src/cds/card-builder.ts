import { randomUUID } from 'node:crypto';
import type { Coding, FhirResource } from 'fhir/r4';
import type { Action, Card, CardProvenance, Indicator, Link, Source, Suggestion } from './types.js';
import { PROVENANCE_EXTENSION } from './types.js';

/**
 * The single place that makes cards. Whatever a rule or template asks for, the
 * card that leaves here follows the CDS Hooks 2.0 card rules: a uuid on cards and
 * suggestions, a summary under 140 characters, selectionBehavior whenever there
 * are suggestions, override reasons with a display, appContext only on smart
 * links, no raw HTML in markdown, and no null or empty values.
 */
export interface CardDraft {
  summary: string;
  indicator: Indicator;
  detail?: string;
  source: Source;
  suggestions?: SuggestionDraft[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: Coding[];
  links?: Link[];
  provenance: CardProvenance;
}

export interface SuggestionDraft {
  label: string;
  isRecommended?: boolean;
  actions?: Action[];
}

export const SUMMARY_MAX_LENGTH = 139;

export class CardBuildError extends Error {
  override readonly name = 'CardBuildError';
}

export function buildCard(draft: CardDraft): Card {
  const suggestions = (draft.suggestions ?? []).map(buildSuggestion).filter((s) => s.actions?.length);
  const selectionBehavior = suggestions.length > 0 ? (draft.selectionBehavior ?? 'at-most-one') : undefined;
  if (selectionBehavior === 'at-most-one') keepOneRecommended(suggestions);
  const card: Card = {
    uuid: randomUUID(),
    summary: plainSummary(draft.summary),
    indicator: draft.indicator,
    source: compact(draft.source) as Source,
    extension: { [PROVENANCE_EXTENSION]: compact(draft.provenance) as CardProvenance },
  };
  const detail = draft.detail === undefined ? '' : escapeHtml(draft.detail).replace(/\n{3,}/g, '\n\n').trim();
  if (detail) card.detail = detail;
  if (suggestions.length > 0) {
    card.suggestions = suggestions;
    card.selectionBehavior = selectionBehavior;
  }
  const reasons = (draft.overrideReasons ?? []).map(checkReason);
  if (reasons.length > 0) card.overrideReasons = reasons;
  const links = (draft.links ?? []).map(buildLink);
  if (links.length > 0) card.links = links;
  return card;
}

function buildSuggestion(draft: SuggestionDraft): Suggestion {
  const suggestion: Suggestion = { label: plainSummary(draft.label), uuid: randomUUID() };
  if (draft.isRecommended) suggestion.isRecommended = true;
  const actions = (draft.actions ?? []).map(checkAction);
  if (actions.length > 0) suggestion.actions = actions;
  return suggestion;
}

function keepOneRecommended(suggestions: Suggestion[]): void {
  let seen = false;
  for (const s of suggestions) {
    if (!s.isRecommended) continue;
    if (seen) delete s.isRecommended;
    seen = true;
  }
}

function checkAction(action: Action): Action {
  if (!action.description?.trim()) throw new CardBuildError(`suggestion action '${action.type}' has no description`);
  if (action.type === 'delete') {
    if (!action.resourceId) throw new CardBuildError('delete action needs a resourceId');
    return { type: 'delete', description: action.description, resourceId: action.resourceId };
  }
  if (!action.resource) throw new CardBuildError(`${action.type} action needs a resource`);
  return { type: action.type, description: action.description, resource: compact(action.resource) as FhirResource };
}

function checkReason(reason: Coding): Coding {
  if (!reason.system || !reason.code || !reason.display) {
    throw new CardBuildError(`override reason '${reason.code ?? '?'}' needs system, code and display`);
  }
  return { system: reason.system, code: reason.code, display: reason.display };
}

function buildLink(link: Link): Link {
  if (!link.label || !link.url) throw new CardBuildError('a link needs a label and a url');
  const built: Link = { label: link.label, url: link.url, type: link.type };
  if (link.type === 'smart' && link.appContext) built.appContext = link.appContext;
  return built;
}

/** Plain text for the summary: one line, no control characters, under 140 characters. */
export function plainSummary(text: string): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (oneLine.length <= SUMMARY_MAX_LENGTH) return oneLine;
  return `${oneLine.slice(0, SUMMARY_MAX_LENGTH - 1).trimEnd()}…`;
}

/** CDS Hooks detail is GitHub-flavoured markdown without raw HTML: neutralise it. */
export function escapeHtml(markdown: string): string {
  return markdown.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Removes null, undefined, empty strings, empty arrays and empty objects, recursively. */
export function compact(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const v of value) {
      const c = compact(v);
      if (c !== undefined) items.push(c);
    }
    return items.length > 0 ? items : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    let kept = 0;
    for (const key of Object.keys(value)) {
      if (key === '__proto__') continue;
      const c = compact((value as Record<string, unknown>)[key]);
      if (c === undefined) continue;
      out[key] = c;
      kept++;
    }
    return kept > 0 ? out : undefined;
  }
  if (value === null || value === '') return undefined;
  return value;
}
