import { z } from 'zod';
import type { FeedbackRecord } from '../store/store.js';
import { zodProblems } from './hook-request.js';
import { invalidRequest } from './outcome.js';

/**
 * Feedback (https://cds-hooks.hl7.org/2.0/#feedback). Accepts the spec body and
 * what real clients send instead: a reason without display, no comment, or the
 * older flat `overrideReason: {code, system}`. Checking the items against the
 * cards issued and storing them is the pipeline's (src/pipeline/feedback.ts).
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
