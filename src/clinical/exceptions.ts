import { createHash } from 'node:crypto';
import type { DetectedIssue } from 'fhir/r4';
import { findOverrideReason, type OverrideReason, type OverrideReasonTable } from './override-reasons.js';

/**
 * Justified exceptions come from two places and are merged into one list:
 * overrides with a reason posted as CDS Hooks feedback (stored by this
 * service), and DetectedIssue resources with a mitigation written by the SMART
 * app to the EHR's FHIR server (read back through prefetch).
 */
export const CARD_TOPIC_SYSTEM = 'urn:pain-cds:card-topic';
/** DetectedIssue extensions written by the SMART app: what the justification was written for. */
export const JUSTIFIED_MME_EXTENSION = 'urn:pain-cds:justified-mme';
export const JUSTIFIED_DRUG_EXTENSION = 'urn:pain-cds:justified-ingredient';
export const JUSTIFIED_PHENOTYPE_EXTENSION = 'urn:pain-cds:justified-phenotype';
export const JUSTIFIED_CNS_CLASS_EXTENSION = 'urn:pain-cds:justified-cns-class';
export const REVIEW_DATE_EXTENSION = 'urn:pain-cds:review-date';

const DAY = 86_400_000;

/**
 * A justified exception: a prescriber overrode an alert with a reason, so the
 * same alert for this patient stays quiet until `expiresAt`, unless what was
 * justified changes materially (see `justified`).
 */
export interface ExceptionOnFile {
  readonly id: string;
  readonly patientId: string;
  /** The alert family it quiets (card topic: mme, pgx, cns-depressant, er-la, pdmp, ...). */
  readonly topic: string;
  readonly ruleId: string;
  readonly reasonCode: string;
  readonly reasonDisplay: string;
  readonly userId: string;
  /** The prescriber's name when it was known (the EHR's Practitioner record, or the author's display). */
  readonly userName?: string;
  readonly source: 'feedback' | 'detected-issue';
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** Values at the time of justification (e.g. total MME, drug), to detect material change. */
  readonly justified: Readonly<Record<string, unknown>>;
  readonly comment?: string;
  readonly cardUuid?: string;
  /** Goals the justification rests on (`Goal/x`), from the DetectedIssue's evidence: the benefit side of the balance. */
  readonly goalRefs?: readonly string[];
}

/** An override as the CDS client reported it (structurally, a stored feedback record). */
export interface OverrideGiven {
  readonly cardUuid: string;
  readonly outcome: string;
  readonly outcomeTimestamp: Date;
  readonly overrideReason?: { readonly system?: string; readonly code: string };
  readonly userComment?: string;
}

/** The card the override was about (structurally, an issued-card record). */
export interface CardShown {
  readonly uuid: string;
  readonly patientId: string;
  readonly ruleId: string;
  readonly userId: string;
  readonly userName?: string;
  readonly values: Readonly<Record<string, unknown>>;
}


/**
 * What an exception is tied to. A justification quiets only the situation it
 * was written for; anything else is a material change that brings the full
 * alert back:
 * - `mme`: a total above the justified total, or a total that is only a lower
 *   bound (an order not converted, the medication list unread); a
 *   justification without a total cannot be checked, so it quiets nothing;
 * - `pgx`: another drug, or another acting CYP2D6 phenotype (a new genotype
 *   result, an inhibitor started or stopped);
 * - `cns-depressant`: a depressant class that was not among those justified.
 */
export type JustifiedSituation = {
  readonly mmeTotal?: number;
  /** The current total is exact (every order converted, the medication list read): a lower bound cannot show that the dose did not rise. */
  readonly mmeTotalKnown?: boolean;
  readonly ingredient?: string;
  readonly phenotype?: string;
  readonly cnsClasses?: readonly string[];
};

/** The values behind a card (its provenance values) that an exception is tied to. */
export function justifiedValues(values: Readonly<Record<string, unknown>>): JustifiedSituation {
  const classes = values['cns.classes'];
  return {
    ...(typeof values['mme.total'] === 'number' ? { mmeTotal: values['mme.total'] } : {}),
    ...(typeof values['order.ingredient'] === 'string' ? { ingredient: values['order.ingredient'] } : {}),
    ...(typeof values['cyp2d6.riskPhenotype'] === 'string' ? { phenotype: values['cyp2d6.riskPhenotype'] } : {}),
    ...(Array.isArray(classes) ? { cnsClasses: classes.filter((c): c is string => typeof c === 'string') } : {}),
  };
}

/** A reason quiets only the alert topics it is defined for (a PDMP review never quiets a dose alert). */
function reasonFits(reason: OverrideReason, topic: string): boolean {
  return reason.topics.includes(topic);
}

export function exceptionFromOverride(record: OverrideGiven, card: CardShown, reasons: OverrideReasonTable): ExceptionOnFile | undefined {
  if (record.outcome !== 'overridden' || !record.overrideReason) return undefined;
  const reason = findOverrideReason(reasons, record.overrideReason);
  const topic = card.values.topic;
  if (!reason || typeof topic !== 'string' || !reasonFits(reason, topic)) return undefined;
  const key = JSON.stringify([record.cardUuid, record.outcome, record.outcomeTimestamp.getTime(), reason.code]);
  return {
    id: createHash('sha256').update(key).digest('hex').slice(0, 32),
    patientId: card.patientId,
    topic,
    ruleId: card.ruleId,
    reasonCode: reason.code,
    reasonDisplay: reason.display,
    userId: card.userId,
    ...(card.userName ? { userName: card.userName } : {}),
    source: 'feedback',
    createdAt: record.outcomeTimestamp,
    expiresAt: new Date(record.outcomeTimestamp.getTime() + reason.validityDays * DAY),
    justified: justifiedValues(card.values),
    ...(record.userComment ? { comment: record.userComment } : {}),
    cardUuid: card.uuid,
  };
}

/** Exceptions documented in the SMART app, as DetectedIssue with a mitigation naming one of our reasons. */
export function exceptionsFromDetectedIssues(issues: readonly DetectedIssue[], reasons: OverrideReasonTable, patientId: string, names: ReadonlyMap<string, string> = new Map()): ExceptionOnFile[] {
  const out: ExceptionOnFile[] = [];
  for (const issue of issues) {
    if (issue.status !== 'final' && issue.status !== 'amended' && issue.status !== 'corrected') continue;
    const topic = issue.code?.coding?.find((c) => c.system === CARD_TOPIC_SYSTEM)?.code;
    if (!topic) continue;
    for (const m of issue.mitigation ?? []) {
      const coding = m.action?.coding?.find((c) => c.code && findOverrideReason(reasons, { system: c.system, code: c.code }));
      if (!coding?.code) continue;
      const reason = findOverrideReason(reasons, { system: coding.system, code: coding.code })!;
      if (!reasonFits(reason, topic)) continue;
      const created = new Date(m.date ?? issue.identifiedDateTime ?? '');
      if (Number.isNaN(created.getTime())) continue;
      out.push({
        id: `DetectedIssue/${issue.id ?? 'unknown'}`,
        patientId,
        topic,
        ruleId: 'smart-app',
        reasonCode: reason.code,
        reasonDisplay: reason.display,
        userId: m.author?.reference ?? issue.author?.reference ?? 'unknown',
        ...authorName(m.author ?? issue.author, names),
        source: 'detected-issue',
        createdAt: created,
        expiresAt: reviewDateWithin(issue, created, reason),
        justified: justifiedByExtensions(issue),
        ...(issue.detail ? { comment: issue.detail } : {}),
        ...goalEvidence(issue),
      });
    }
  }
  return out;
}

/** Goals named as the justification's evidence (`evidence.detail` references to Goal). */
function goalEvidence(issue: DetectedIssue): { goalRefs?: string[] } {
  const refs = (issue.evidence ?? []).flatMap((e) => e.detail ?? []).flatMap((d) => {
    const m = d.reference?.match(/(?:^|\/)Goal\/([^/]+)$/);
    return m ? [`Goal/${m[1]}`] : [];
  });
  return refs.length ? { goalRefs: [...new Set(refs)] } : {};
}

/** The review date the app recorded, never later than the reason allows (and the reason's validity when none or an unreadable one was given). */
function reviewDateWithin(issue: DetectedIssue, created: Date, reason: OverrideReason): Date {
  const longest = new Date(created.getTime() + reason.validityDays * DAY);
  const review = issue.extension?.find((e) => e.url === REVIEW_DATE_EXTENSION)?.valueDate;
  const reviewDate = review ? new Date(review) : undefined;
  if (!reviewDate || Number.isNaN(reviewDate.getTime())) return longest;
  return reviewDate < longest ? reviewDate : longest;
}

function justifiedByExtensions(issue: DetectedIssue): JustifiedSituation {
  const ext = issue.extension ?? [];
  const mme = ext.find((e) => e.url === JUSTIFIED_MME_EXTENSION)?.valueDecimal;
  const ingredient = ext.find((e) => e.url === JUSTIFIED_DRUG_EXTENSION)?.valueString;
  const phenotype = ext.find((e) => e.url === JUSTIFIED_PHENOTYPE_EXTENSION)?.valueString;
  const classes = ext.filter((e) => e.url === JUSTIFIED_CNS_CLASS_EXTENSION && typeof e.valueString === 'string').map((e) => e.valueString!);
  return {
    ...(typeof mme === 'number' ? { mmeTotal: mme } : {}),
    ...(ingredient ? { ingredient: ingredient.toLowerCase() } : {}),
    ...(phenotype ? { phenotype } : {}),
    ...(classes.length ? { cnsClasses: classes } : {}),
  };
}

/** True when `current` is still the situation `justified` was written for (see JustifiedSituation). */
export function stillJustified(topic: string, justified: Readonly<Record<string, unknown>>, current: JustifiedSituation): boolean {
  const j = justified as JustifiedSituation;
  switch (topic) {
    case 'mme':
      return typeof j.mmeTotal === 'number' && current.mmeTotal !== undefined && current.mmeTotalKnown !== false && current.mmeTotal <= j.mmeTotal + 0.05;
    case 'pgx':
      return j.ingredient !== undefined && j.ingredient === current.ingredient && j.phenotype !== undefined && j.phenotype === current.phenotype;
    case 'cns-depressant':
      return Array.isArray(j.cnsClasses) && current.cnsClasses !== undefined && current.cnsClasses.every((c) => j.cnsClasses!.includes(c));
    default:
      return true;
  }
}

/** The exception that quiets an alert of `topic` now, if any: still valid, and the situation it was written for unchanged. */
export function applicableException(exceptions: readonly ExceptionOnFile[], topic: string, current: JustifiedSituation, now: Date): ExceptionOnFile | undefined {
  return exceptions
    .filter((e) => e.topic === topic && e.createdAt <= now && e.expiresAt > now && stillJustified(topic, e.justified, current))
    .sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime())[0];
}

/** A PDMP review documented in the app (extension on the justification). */
export const PDMP_REVIEWED_EXTENSION = 'urn:pain-cds:pdmp-reviewed';

/**
 * When the PDMP was last reviewed, as documented through this service: an
 * override or an app justification with a reason that records a review (on
 * any card: the review happened whatever alert it was given for), and the
 * "PDMP reviewed on" date of an app justification.
 */
export function pdmpReviewsDocumented(stored: readonly ExceptionOnFile[], issues: readonly DetectedIssue[], reasons: OverrideReasonTable): Date | undefined {
  const recording = new Set(reasons.reasons.filter((r) => r.recordsPdmpReview).map((r) => r.code));
  const times = stored.filter((e) => recording.has(e.reasonCode)).map((e) => e.createdAt.getTime());
  for (const issue of issues) {
    if (issue.status !== 'final' && issue.status !== 'amended' && issue.status !== 'corrected') continue;
    const reviewed = issue.extension?.find((e) => e.url === PDMP_REVIEWED_EXTENSION)?.valueDate;
    if (reviewed) times.push(Date.parse(reviewed));
    for (const m of issue.mitigation ?? []) {
      const recorded = m.action?.coding?.some((c) => c.code && recording.has(findOverrideReason(reasons, { system: c.system, code: c.code })?.code ?? ''));
      if (recorded) times.push(Date.parse(m.date ?? issue.identifiedDateTime ?? ''));
    }
  }
  const valid = times.filter((t) => Number.isFinite(t));
  return valid.length ? new Date(Math.max(...valid)) : undefined;
}

/** The author's name: the display the app wrote, else the Practitioner record in prefetch. */
function authorName(author: { reference?: string; display?: string } | undefined, names: ReadonlyMap<string, string>): { userName?: string } {
  const name = author?.display?.trim() || (author?.reference ? names.get(author.reference.replace(/^.*\/(Practitioner\/[^/]+)$/, '$1')) : undefined);
  return name ? { userName: name } : {};
}

/** "Stable long-term therapy; benefits outweigh risks, documented by Dr Dana Prescriber on 1 May 2026, valid until 30 July 2026" ("by you" for the prescriber now signed in; "by another prescriber" when no name is known). */
export function describeException(e: ExceptionOnFile, currentUserId?: string): string {
  const day = (d: Date) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const you = currentUserId !== undefined && e.userId === currentUserId;
  const who = you ? (e.userName ? `you (${e.userName})` : 'you') : (e.userName ?? 'another prescriber');
  return `${e.reasonDisplay}, documented by ${who} on ${day(e.createdAt)}, valid until ${day(e.expiresAt)}`;
}
