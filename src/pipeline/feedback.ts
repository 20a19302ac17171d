import type { ExceptionOnFile } from '../clinical/exceptions.js';
import { invalidRequest, notFoundItems } from '../cds/outcome.js';
import type { FeedbackRecord, IssuedCard, Store } from '../store/store.js';

/**
 * Feedback after parsing (src/cds/feedback.ts): each item must name a card
 * this service issued (and this service, not another one); otherwise nothing
 * of the post is stored. An override with a reason may become an exception on
 * file (the clinical layer decides, through the policy). Storing is idempotent.
 */
/** Turns an override with a reason into an exception on file (the clinical layer decides). */
export type ExceptionPolicy = (record: FeedbackRecord, card: IssuedCard) => ExceptionOnFile | undefined;

/**
 * Checks every item against the issued-card record, then stores them all (and
 * the exceptions they justify) in one transaction, or none.
 */
export async function acceptFeedback(store: Store, records: FeedbackRecord[], exceptionFor: ExceptionPolicy): Promise<{ stored: number; duplicates: number }> {
  const problems: { path: string; message: string }[] = [];
  const exceptions: ExceptionOnFile[] = [];
  let unknown = 0;
  const cards = await Promise.all(records.map((r) => store.findIssuedCard(r.cardUuid)));
  records.forEach((r, i) => {
    const card = cards[i];
    if (card && card.serviceId === r.serviceId) {
      const exception = exceptionFor(r, card);
      if (exception) exceptions.push(exception);
    }
    if (!card) {
      unknown++;
      problems.push({ path: `feedback.${i}.card`, message: 'no card with this uuid was issued by this service (or it has expired)' });
    } else if (card.serviceId !== r.serviceId) {
      problems.push({ path: `feedback.${i}.card`, message: 'this card was issued by another service; send feedback to that service' });
    } else {
      const unknownSuggestion = r.acceptedSuggestions.find((s) => !card.suggestionUuids.includes(s));
      if (unknownSuggestion) problems.push({ path: `feedback.${i}.acceptedSuggestions`, message: 'names a suggestion this card did not offer' });
    }
  });
  if (problems.length > 0) {
    // All unknown cards: 404; any other mix of problems: 400.
    throw unknown === records.length ? notFoundItems(problems) : invalidRequest(problems);
  }
  return store.recordFeedback(records, exceptions);
}
