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

export interface Store {
  recordIssuedCards(cards: readonly IssuedCard[]): void;
  findIssuedCard(uuid: string): IssuedCard | undefined;
  /** Stores the records in one transaction; identical feedback already on file is not stored twice. */
  recordFeedback(records: readonly FeedbackRecord[]): { stored: number; duplicates: number };
  listFeedback(query: FeedbackQuery): StoredFeedback[];
  /** Deletes issued cards past their expiry that no feedback refers to; returns how many. */
  pruneExpiredCards(now: Date): number;
  close(): void;
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
