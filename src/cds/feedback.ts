import { z } from 'zod';
import type { ExceptionOnFile, FeedbackRecord, IssuedCard, Store } from '../store/store.js';
import { zodProblems } from './hook-request.js';
import { OutcomeError, invalidRequest } from './outcome.js';

/**
 * Feedback (https://cds-hooks.hl7.org/2.0/#feedback). Accepts the spec body and
 * what real clients send instead: a reason without display, no comment, or the
 * older flat `overrideReason: {code, system}`. Each item must name a card this
 * service issued (and this service, not another one); otherwise nothing of the
 * post is stored. Storing is idempotent.
 */
const coding = z.object({
  system: z.string().max(1024).optional(),
  code: z.string().min(1).max(256),
  display: z.string().max(1024).optional(),
});

// Older clients send the coding itself; tried first, since every field of the spec form is optional.
const overrideReason = z.union([coding, z.object({ reason: coding.optional(), userComment: z.string().max(4000).optional() })]);

const item = z.object({
  card: z.string().min(1).max(256),
  outcome: z.enum(['accepted', 'overridden']),
  acceptedSuggestions: z.array(z.object({ id: z.string().min(1).max(256) })).max(50).optional(),
  overrideReason: overrideReason.optional(),
  outcomeTimestamp: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time'),
});

const body = z.object({ feedback: z.array(item).min(1).max(100) });

export function parseFeedback(raw: unknown, serviceId: string, receivedAt: Date): FeedbackRecord[] {
  const parsed = body.safeParse(raw);
  if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
  return parsed.data.feedback.map((f) => {
    const reason = normalizeReason(f.overrideReason);
    return {
      cardUuid: f.card,
      serviceId,
      outcome: f.outcome,
      outcomeTimestamp: new Date(f.outcomeTimestamp),
      acceptedSuggestions: (f.acceptedSuggestions ?? []).map((s) => s.id),
      ...(reason.coding ? { overrideReason: reason.coding } : {}),
      ...(reason.comment ? { userComment: reason.comment } : {}),
      receivedAt,
    };
  });
}

function normalizeReason(value: z.infer<typeof overrideReason> | undefined): {
  coding?: { system?: string; code: string; display?: string };
  comment?: string;
} {
  if (!value) return {};
  if ('code' in value && typeof value.code === 'string') return { coding: value as z.infer<typeof coding> };
  const structured = value as { reason?: z.infer<typeof coding>; userComment?: string };
  return { coding: structured.reason, comment: structured.userComment?.trim() || undefined };
}

/** Turns an override with a reason into an exception on file (the clinical layer decides). */
export type ExceptionPolicy = (record: FeedbackRecord, card: IssuedCard) => ExceptionOnFile | undefined;

/**
 * Checks every item against the issued-card record, then stores them all (and
 * the exceptions they justify) in one transaction, or none.
 */
export function acceptFeedback(store: Store, records: FeedbackRecord[], exceptionFor: ExceptionPolicy): { stored: number; duplicates: number } {
  const problems: { path: string; message: string }[] = [];
  const exceptions: ExceptionOnFile[] = [];
  let unknown = 0;
  records.forEach((r, i) => {
    const card = store.findIssuedCard(r.cardUuid);
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
    const error = invalidRequest(problems);
    // All unknown cards: 404; any other mix of problems: 400.
    throw unknown === records.length ? new OutcomeError(404, error.outcome) : error;
  }
  return store.recordFeedback(records, exceptions);
}
