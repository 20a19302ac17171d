import { createHash } from 'node:crypto';
import type { DetectedIssue } from 'fhir/r4';
import type { ExceptionOnFile, FeedbackRecord, IssuedCard } from '../store/store.js';
import { findOverrideReason, type OverrideReasonTable } from './override-reasons.js';

/**
 * Justified exceptions come from two places and are merged into one list:
 * overrides with a reason posted as CDS Hooks feedback (stored by this
 * service), and DetectedIssue resources with a mitigation written by the SMART
 * app to the EHR's FHIR server (read back through prefetch).
 */
export const CARD_TOPIC_SYSTEM = 'urn:pain-cds:card-topic';
/** DetectedIssue extensions written by the SMART app. */
export const JUSTIFIED_MME_EXTENSION = 'urn:pain-cds:justified-mme';
export const JUSTIFIED_DRUG_EXTENSION = 'urn:pain-cds:justified-ingredient';
export const REVIEW_DATE_EXTENSION = 'urn:pain-cds:review-date';

const DAY = 86_400_000;

/** The values behind a card that an exception is tied to: a later card with a higher MME or another drug is a material change. */
export function justifiedValues(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof values['mme.total'] === 'number') out.mmeTotal = values['mme.total'];
  if (typeof values['order.ingredient'] === 'string') out.ingredient = values['order.ingredient'];
  return out;
}

export function exceptionFromOverride(record: FeedbackRecord, card: IssuedCard, reasons: OverrideReasonTable): ExceptionOnFile | undefined {
  if (record.outcome !== 'overridden' || !record.overrideReason) return undefined;
  const reason = findOverrideReason(reasons, record.overrideReason);
  const topic = card.values.topic;
  if (!reason || typeof topic !== 'string') return undefined;
  const key = JSON.stringify([record.cardUuid, record.outcome, record.outcomeTimestamp.getTime(), reason.code]);
  return {
    id: createHash('sha256').update(key).digest('hex').slice(0, 32),
    patientId: card.patientId,
    topic,
    ruleId: card.ruleId,
    reasonCode: reason.code,
    reasonDisplay: reason.display,
    userId: card.userId,
    source: 'feedback',
    createdAt: record.outcomeTimestamp,
    expiresAt: new Date(record.outcomeTimestamp.getTime() + reason.validityDays * DAY),
    justified: justifiedValues(card.values),
    ...(record.userComment ? { comment: record.userComment } : {}),
    cardUuid: card.uuid,
  };
}

/** Exceptions documented in the SMART app, as DetectedIssue with a mitigation naming one of our reasons. */
export function exceptionsFromDetectedIssues(issues: readonly DetectedIssue[], reasons: OverrideReasonTable, patientId: string): ExceptionOnFile[] {
  const out: ExceptionOnFile[] = [];
  for (const issue of issues) {
    if (issue.status !== 'final' && issue.status !== 'amended' && issue.status !== 'corrected') continue;
    const topic = issue.code?.coding?.find((c) => c.system === CARD_TOPIC_SYSTEM)?.code;
    if (!topic) continue;
    for (const m of issue.mitigation ?? []) {
      const coding = m.action?.coding?.find((c) => c.code && findOverrideReason(reasons, { system: c.system, code: c.code }));
      if (!coding?.code) continue;
      const reason = findOverrideReason(reasons, { system: coding.system, code: coding.code })!;
      const created = new Date(m.date ?? issue.identifiedDateTime ?? '');
      if (Number.isNaN(created.getTime())) continue;
      const review = issue.extension?.find((e) => e.url === REVIEW_DATE_EXTENSION)?.valueDate;
      const reviewDate = review ? new Date(review) : undefined;
      const expiresAt = reviewDate && !Number.isNaN(reviewDate.getTime()) ? reviewDate : new Date(created.getTime() + reason.validityDays * DAY);
      const mme = issue.extension?.find((e) => e.url === JUSTIFIED_MME_EXTENSION)?.valueDecimal;
      const ingredient = issue.extension?.find((e) => e.url === JUSTIFIED_DRUG_EXTENSION)?.valueString;
      out.push({
        id: `DetectedIssue/${issue.id ?? 'unknown'}`,
        patientId,
        topic,
        ruleId: 'smart-app',
        reasonCode: reason.code,
        reasonDisplay: reason.display,
        userId: m.author?.reference ?? issue.author?.reference ?? 'unknown',
        source: 'detected-issue',
        createdAt: created,
        expiresAt,
        justified: { ...(typeof mme === 'number' ? { mmeTotal: mme } : {}), ...(ingredient ? { ingredient } : {}) },
        ...(issue.detail ? { comment: issue.detail } : {}),
      });
    }
  }
  return out;
}

/**
 * The exception that quiets an alert of `topic` now, if any: still valid, and
 * no material change since it was justified (a higher total MME, another drug).
 */
export function applicableException(
  exceptions: readonly ExceptionOnFile[],
  topic: string,
  current: { mmeTotal?: number; ingredient?: string },
  now: Date,
): ExceptionOnFile | undefined {
  return exceptions
    .filter((e) => e.topic === topic && e.createdAt <= now && e.expiresAt > now)
    .filter((e) => {
      const j = e.justified;
      if (typeof j.mmeTotal === 'number' && current.mmeTotal !== undefined && current.mmeTotal > j.mmeTotal + 0.05) return false;
      if (typeof j.ingredient === 'string' && current.ingredient !== undefined && current.ingredient !== j.ingredient) return false;
      return true;
    })
    .sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime())[0];
}

/** "Stable long-term therapy; benefits outweigh risks, documented by Practitioner/1 on 1 May 2026, valid until 30 July 2026" */
export function describeException(e: ExceptionOnFile): string {
  const day = (d: Date) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return `${e.reasonDisplay}, documented by ${e.userId} on ${day(e.createdAt)}, valid until ${day(e.expiresAt)}`;
}
