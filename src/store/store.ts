/**
 * Persistence behind a small interface, so a server database can replace the
 * embedded SQLite file later. Every write method returns only after the data
 * is committed.
 */
export interface IssuedCard {
  readonly uuid: string;
  readonly serviceId: string;
  readonly ruleId: string;
  readonly ruleVersion: string;
  readonly patientId: string;
  readonly userId: string;
  readonly hookInstance: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly suggestionUuids: readonly string[];
  /** The computed values behind the card (its provenance), for audits and material-change checks. */
  readonly values: Record<string, unknown>;
}

export type FeedbackOutcome = 'accepted' | 'overridden';

export interface FeedbackRecord {
  readonly cardUuid: string;
  readonly serviceId: string;
  readonly outcome: FeedbackOutcome;
  readonly outcomeTimestamp: Date;
  readonly acceptedSuggestions: readonly string[];
  readonly overrideReason?: { readonly system?: string; readonly code: string; readonly display?: string };
  readonly userComment?: string;
  readonly receivedAt: Date;
}

export interface StoredFeedback extends FeedbackRecord {
  readonly id: number;
  readonly ruleId: string;
  readonly patientId: string;
  readonly userId: string;
}

export interface FeedbackQuery {
  readonly patientId?: string;
  readonly ruleId?: string;
  readonly userId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
}

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
  readonly source: 'feedback' | 'detected-issue';
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** Values at the time of justification (e.g. total MME, drug), to detect material change. */
  readonly justified: Readonly<Record<string, unknown>>;
  readonly comment?: string;
  readonly cardUuid?: string;
}

export interface ExceptionQuery {
  readonly patientId?: string;
  readonly ruleId?: string;
  readonly userId?: string;
  readonly topic?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Only exceptions still valid at this time. */
  readonly validAt?: Date;
  readonly limit?: number;
}

export interface RuleActivity {
  readonly ruleId: string;
  readonly shown: number;
  readonly accepted: number;
  readonly overridden: number;
  readonly reasons: Record<string, number>;
}

export interface Store {
  recordIssuedCards(cards: readonly IssuedCard[]): void;
  findIssuedCard(uuid: string): IssuedCard | undefined;
  /** Stores the records in one transaction; identical feedback already on file is not stored twice. */
  recordFeedback(records: readonly FeedbackRecord[], exceptions?: readonly ExceptionOnFile[]): { stored: number; duplicates: number };
  listExceptions(query: ExceptionQuery): ExceptionOnFile[];
  /** Cards shown, accepted and overridden per rule, with override reasons, in a period (alert-fatigue report). */
  ruleActivity(from: Date, to: Date): RuleActivity[];
  listFeedback(query: FeedbackQuery): StoredFeedback[];
  /** Deletes issued cards past their expiry that no feedback refers to; returns how many. */
  pruneExpiredCards(now: Date): number;
  close(): void;
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
