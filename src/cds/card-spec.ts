import type { Card } from './types.js';
import { PROVENANCE_EXTENSION } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Checks a card against the CDS Hooks 2.0 card rules and this project's own
 * (provenance extension). Returns the problems found; empty means conformant.
 * Used by the contract tests and by `npm run rules:check`.
 */
export function cardSpecProblems(card: Card): string[] {
  const problems: string[] = [];
  const need = (ok: unknown, message: string) => {
    if (!ok) problems.push(message);
  };
  need(UUID.test(card.uuid), 'card.uuid must be a UUID');
  need(typeof card.summary === 'string' && card.summary.length > 0 && card.summary.length < 140, 'summary must be 1-139 characters');
  need(['info', 'warning', 'critical'].includes(card.indicator), 'indicator must be info, warning or critical');
  need(card.source && typeof card.source.label === 'string' && card.source.label.length > 0, 'source.label is required');
  if (card.detail !== undefined) need(!/<[a-z!/]/i.test(card.detail), 'detail must not contain raw HTML');
  const suggestions = card.suggestions ?? [];
  if (suggestions.length > 0) need(card.selectionBehavior === 'at-most-one' || card.selectionBehavior === 'any', 'selectionBehavior required with suggestions');
  if (card.selectionBehavior === 'at-most-one') need(suggestions.filter((s) => s.isRecommended).length <= 1, 'at most one recommended suggestion');
  for (const s of suggestions) {
    need(UUID.test(s.uuid), 'suggestion.uuid must be a UUID');
    need(s.label?.length > 0, 'suggestion.label is required');
    for (const a of s.actions ?? []) {
      need(a.description?.length > 0, 'action.description is required');
      if (a.type === 'delete') need(typeof a.resourceId === 'string' && /^[A-Za-z]+\/.+/.test(a.resourceId), 'delete action needs resourceId Type/id');
      else need(a.resource && typeof a.resource.resourceType === 'string', `${a.type} action needs a resource`);
    }
  }
  for (const r of card.overrideReasons ?? []) need(r.system && r.code && r.display, 'override reasons need system, code and display');
  for (const l of card.links ?? []) {
    need(l.label && l.url && (l.type === 'absolute' || l.type === 'smart'), 'link needs label, url and type');
    if (l.type !== 'smart') need(l.appContext === undefined, 'appContext only on smart links');
  }
  const provenance = card.extension?.[PROVENANCE_EXTENSION];
  need(provenance && provenance.ruleId && provenance.ruleVersion, 'extension carries rule id and version');
  need(!hasEmptyValue(card), 'no null, empty string, empty array or empty object anywhere');
  return problems;
}

function hasEmptyValue(value: unknown): boolean {
  if (value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0 || value.some(hasEmptyValue);
  if (typeof value === 'object') {
    const entries = Object.entries(value as object);
    return entries.length === 0 || entries.some(([, v]) => hasEmptyValue(v));
  }
  return false;
}
