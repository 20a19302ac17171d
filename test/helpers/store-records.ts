import type { ExceptionOnFile } from '../../src/clinical/exceptions.js';
import type { FeedbackRecord, IssuedCard } from '../../src/store/store.js';

/** Records the store tests write (SQLite, PostgreSQL, the move between them), at one fixed moment. */
export const NOW = new Date('2026-06-01T12:00:00Z');

export const issuedCard = (uuid: string, over: Partial<IssuedCard> = {}): IssuedCard => ({
  uuid,
  serviceId: 'opioid-order-sign',
  ruleId: 'mme-90-reached',
  ruleVersion: '1.0.0',
  patientId: 'p1',
  userId: 'Practitioner/1',
  userName: 'Dr Who',
  subject: 'MedicationRequest/d1',
  hookInstance: 'h1',
  issuedAt: NOW,
  expiresAt: new Date(NOW.getTime() + 86_400_000),
  suggestionUuids: ['s1', 's2'],
  values: { 'mme.total': 120, nested: { list: [1, 'two'] } },
  ...over,
});

export const exceptionOnFile = (patientId: string, over: Partial<ExceptionOnFile> = {}): ExceptionOnFile => ({
  id: `ex-${patientId}`,
  patientId,
  topic: 'mme',
  ruleId: 'mme-90-reached',
  reasonCode: 'stable-long-term',
  reasonDisplay: 'Stable long-term therapy',
  userId: 'Practitioner/1',
  userName: 'Dr Who',
  source: 'feedback',
  createdAt: NOW,
  expiresAt: new Date(NOW.getTime() + 90 * 86_400_000),
  justified: { 'mme.total': 120 },
  cardUuid: `card-${patientId}`,
  ...over,
});

export const feedbackRecord = (cardUuid: string, over: Partial<FeedbackRecord> = {}): FeedbackRecord => ({
  cardUuid,
  serviceId: 'opioid-order-sign',
  outcome: 'accepted',
  outcomeTimestamp: NOW,
  acceptedSuggestions: [],
  receivedAt: NOW,
  ...over,
});
