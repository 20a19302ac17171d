import type { ExceptionOnFile } from '../clinical/exceptions.js';
import type { ExceptionQuery, FeedbackQuery, FeedbackRecord, IssuedCard, RuleActivity, StoredFeedback } from './store.js';

/** Rows of the store's tables (SQLite and PostgreSQL have the same columns) and their mapping to the store's records; the filters of the audit queries. */
export interface IssuedCardRow {
  uuid: string;
  service_id: string;
  rule_id: string;
  rule_version: string;
  patient_id: string;
  user_id: string;
  user_name: string | null;
  subject: string | null;
  hook_instance: string;
  issued_at: number;
  expires_at: number;
  suggestion_uuids: string;
  card_values: string;
}

export interface FeedbackRow {
  id: number;
  card_uuid: string;
  service_id: string;
  rule_id: string;
  patient_id: string;
  user_id: string;
  outcome: 'accepted' | 'overridden';
  outcome_timestamp: number;
  accepted_suggestions: string;
  reason_system: string | null;
  reason_code: string | null;
  reason_display: string | null;
  user_comment: string | null;
  received_at: number;
}

/** WHERE clause and parameters for the audit filters shared by feedback and exceptions. */
export function filterSql(query: FeedbackQuery & ExceptionQuery, timeColumn: string): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = { limit: Math.min(query.limit ?? 1000, 10_000) };
  const add = (clause: string, name: string, value: unknown) => {
    if (value === undefined) return;
    clauses.push(clause);
    params[name] = value;
  };
  add('patient_id = @patientId', 'patientId', query.patientId);
  add('rule_id = @ruleId', 'ruleId', query.ruleId);
  add('user_id = @userId', 'userId', query.userId);
  add('topic = @topic', 'topic', query.topic);
  add(`${timeColumn} >= @from`, 'from', query.from?.getTime());
  add(`${timeColumn} < @to`, 'to', query.to?.getTime());
  add('created_at <= @validAt AND expires_at > @validAt', 'validAt', query.validAt?.getTime());
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export interface ExceptionRow {
  id: string;
  patient_id: string;
  topic: string;
  rule_id: string;
  reason_code: string;
  reason_display: string;
  user_id: string;
  user_name: string | null;
  source: 'feedback' | 'detected-issue';
  created_at: number;
  expires_at: number;
  justified: string;
  comment: string | null;
  card_uuid: string | null;
}

export function toException(row: ExceptionRow): ExceptionOnFile {
  return {
    id: row.id,
    patientId: row.patient_id,
    topic: row.topic,
    ruleId: row.rule_id,
    reasonCode: row.reason_code,
    reasonDisplay: row.reason_display,
    userId: row.user_id,
    ...(row.user_name ? { userName: row.user_name } : {}),
    source: row.source,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    justified: JSON.parse(row.justified) as Record<string, unknown>,
    ...(row.comment ? { comment: row.comment } : {}),
    ...(row.card_uuid ? { cardUuid: row.card_uuid } : {}),
  };
}

/** The named parameters of the issued-card insert. */
export function issuedCardParams(c: IssuedCard): Record<string, unknown> {
  return {
    uuid: c.uuid,
    service_id: c.serviceId,
    rule_id: c.ruleId,
    rule_version: c.ruleVersion,
    patient_id: c.patientId,
    user_id: c.userId,
    user_name: c.userName ?? null,
    subject: c.subject ?? null,
    hook_instance: c.hookInstance,
    issued_at: c.issuedAt.getTime(),
    expires_at: c.expiresAt.getTime(),
    suggestion_uuids: JSON.stringify(c.suggestionUuids),
    card_values: JSON.stringify(c.values),
  };
}

export function toIssuedCard(row: IssuedCardRow): IssuedCard {
  return {
    uuid: row.uuid,
    serviceId: row.service_id,
    ruleId: row.rule_id,
    ruleVersion: row.rule_version,
    patientId: row.patient_id,
    userId: row.user_id,
    ...(row.user_name ? { userName: row.user_name } : {}),
    ...(row.subject ? { subject: row.subject } : {}),
    hookInstance: row.hook_instance,
    issuedAt: new Date(row.issued_at),
    expiresAt: new Date(row.expires_at),
    suggestionUuids: JSON.parse(row.suggestion_uuids) as string[],
    values: JSON.parse(row.card_values) as Record<string, unknown>,
  };
}

export function toStoredFeedback(row: FeedbackRow): StoredFeedback {
  return {
    id: row.id,
    cardUuid: row.card_uuid,
    serviceId: row.service_id,
    ruleId: row.rule_id,
    patientId: row.patient_id,
    userId: row.user_id,
    outcome: row.outcome,
    outcomeTimestamp: new Date(row.outcome_timestamp),
    acceptedSuggestions: JSON.parse(row.accepted_suggestions) as string[],
    overrideReason: row.reason_code
      ? { code: row.reason_code, ...(row.reason_system ? { system: row.reason_system } : {}), ...(row.reason_display ? { display: row.reason_display } : {}) }
      : undefined,
    userComment: row.user_comment ?? undefined,
    receivedAt: new Date(row.received_at),
  };
}

/** Cards shown per rule and the feedback outcomes per rule and reason, as the alert-fatigue report. */
export function toRuleActivity(
  shown: readonly { rule_id: string; n: number }[],
  outcomes: readonly { rule_id: string; outcome: string; reason_code: string | null; n: number }[],
): RuleActivity[] {
  const byRule = new Map<string, { ruleId: string; shown: number; accepted: number; overridden: number; reasons: Record<string, number> }>();
  const get = (ruleId: string) => {
    let r = byRule.get(ruleId);
    // reasons has no prototype: a reason code is data from a client and may be "__proto__".
    if (!r) byRule.set(ruleId, (r = { ruleId, shown: 0, accepted: 0, overridden: 0, reasons: Object.create(null) as Record<string, number> }));
    return r;
  };
  for (const s of shown) get(s.rule_id).shown = s.n;
  for (const o of outcomes) {
    const r = get(o.rule_id);
    if (o.outcome === 'accepted') r.accepted += o.n;
    else {
      r.overridden += o.n;
      const key = o.reason_code ?? '(no reason)';
      r.reasons[key] = (r.reasons[key] ?? 0) + o.n;
    }
  }
  return [...byRule.values()].sort((a, b) => a.ruleId.localeCompare(b.ruleId));
}

/** The SQL parameters of one feedback record (its dedup key makes identical feedback idempotent). */
export function feedbackParams(r: FeedbackRecord): Record<string, unknown> {
  const accepted = [...r.acceptedSuggestions].sort();
  return {
    card_uuid: r.cardUuid,
    service_id: r.serviceId,
    outcome: r.outcome,
    outcome_timestamp: r.outcomeTimestamp.getTime(),
    accepted_suggestions: JSON.stringify(accepted),
    reason_system: r.overrideReason?.system ?? null,
    reason_code: r.overrideReason?.code ?? null,
    reason_display: r.overrideReason?.display ?? null,
    user_comment: r.userComment ?? null,
    received_at: r.receivedAt.getTime(),
    dedup_key: JSON.stringify([r.cardUuid, r.outcome, r.outcomeTimestamp.getTime(), accepted]),
  };
}

/** The SQL parameters of one exception on file. */
export function exceptionParams(e: ExceptionOnFile): Record<string, unknown> {
  return {
    id: e.id,
    patient_id: e.patientId,
    topic: e.topic,
    rule_id: e.ruleId,
    reason_code: e.reasonCode,
    reason_display: e.reasonDisplay,
    user_id: e.userId,
    user_name: e.userName ?? null,
    source: e.source,
    created_at: e.createdAt.getTime(),
    expires_at: e.expiresAt.getTime(),
    justified: JSON.stringify(e.justified),
    comment: e.comment ?? null,
    card_uuid: e.cardUuid ?? null,
  };
}

/** Columns of the three record tables, in insert order (the migration command and the PostgreSQL store use them). */
export const ISSUED_CARD_COLUMNS = ['uuid', 'service_id', 'rule_id', 'rule_version', 'patient_id', 'user_id', 'user_name', 'subject', 'hook_instance', 'issued_at', 'expires_at', 'suggestion_uuids', 'card_values'] as const;
export const EXCEPTION_COLUMNS = ['id', 'patient_id', 'topic', 'rule_id', 'reason_code', 'reason_display', 'user_id', 'user_name', 'source', 'created_at', 'expires_at', 'justified', 'comment', 'card_uuid'] as const;
export const FEEDBACK_COLUMNS = ['card_uuid', 'service_id', 'rule_id', 'patient_id', 'user_id', 'outcome', 'outcome_timestamp', 'accepted_suggestions', 'reason_system', 'reason_code', 'reason_display', 'user_comment', 'received_at', 'dedup_key'] as const;
