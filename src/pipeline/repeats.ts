import type { Card } from '../cds/types.js';
import { PROVENANCE_EXTENSION } from '../cds/types.js';
import { StoreUnavailableError, type ShownCard, type Store } from '../store/store.js';

/**
 * Say each thing once. At signature, a card that order-select already showed
 * for the same order (same rule, same order, same firing values: a changed
 * dose fires again) is not shown again when:
 * - it is an information card;
 * - it is a warning the prescriber acted on (accepted a suggestion or overrode it);
 * - it is critical and was overridden with a reason (a critical card ignored
 *   without a reason is shown again).
 * How far back "already shown" reaches is the parameter alerts.repeatWindowHours.
 * If the store cannot be read, every card is shown (never the other way round).
 */
export function withoutRepeats(cards: readonly Card[], shown: readonly ShownCard[]): Card[] {
  if (shown.length === 0) return [...cards];
  const earlier = new Map<string, ShownCard[]>();
  for (const s of shown) {
    const key = fingerprint(s.ruleId, s.subject, s.values);
    earlier.set(key, [...(earlier.get(key) ?? []), s]);
  }
  return cards.filter((card) => {
    const p = card.extension[PROVENANCE_EXTENSION];
    const before = earlier.get(fingerprint(p.ruleId, p.subject, p.values));
    if (!before) return true;
    if (card.indicator === 'info') return false;
    if (card.indicator === 'warning') return !before.some((s) => s.outcome !== undefined);
    return !before.some((s) => s.overriddenWithReason);
  });
}

/** The cards the order-select service showed this patient within the window, or none if the store cannot be read. */
export async function shownBefore(store: Store, query: { patientId: string; serviceId: string; since: Date }): Promise<ShownCard[]> {
  try {
    return await store.cardsShown(query);
  } catch (e) {
    if (e instanceof StoreUnavailableError) return [];
    throw e;
  }
}

function fingerprint(ruleId: string, subject: string | undefined, values: Readonly<Record<string, unknown>>): string {
  return JSON.stringify([ruleId, subject ?? '', values]);
}
