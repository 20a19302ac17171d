import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { zodProblems } from '../cds/hook-request.js';
import { invalidRequest, notFound, unauthorized } from '../cds/outcome.js';
import type { Store } from '../store/store.js';

/**
 * The audit API for quality and safety teams, authenticated separately from
 * CDS clients with the ADMIN_TOKEN bearer token. The only place patient
 * identifiers leave the service. JSON by default, CSV with `format=csv`.
 *   GET /admin/audit/exceptions   exceptions on file
 *   GET /admin/audit/feedback     feedback received
 *   GET /admin/audit/alert-report per-rule counts of cards shown, accepted, overridden, and reasons
 * Filters: patient, rule, prescriber, from, to (ISO dates), limit.
 */
const filters = z
  .object({
    patient: z.string().max(256).optional(),
    rule: z.string().max(128).optional(),
    prescriber: z.string().max(256).optional(),
    from: z.string().datetime({ offset: true }).or(z.string().date()).optional(),
    to: z.string().datetime({ offset: true }).or(z.string().date()).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

export function auditRouter(store: Store, adminToken: string | undefined, now: () => Date): express.Router {
  const router = express.Router();
  router.use((req, res, next) => {
    if (!adminToken) return next(notFound('The audit API is disabled: set ADMIN_TOKEN to enable it'));
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(adminToken);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return next(unauthorized());
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/exceptions', async (req, res) => {
    const f = parseFilters(req);
    const rows = (await store.listExceptions(storeQuery(f))).map((e) => ({
      id: e.id,
      patientId: e.patientId,
      topic: e.topic,
      ruleId: e.ruleId,
      reasonCode: e.reasonCode,
      reason: e.reasonDisplay,
      prescriber: e.userId,
      source: e.source,
      createdAt: e.createdAt.toISOString(),
      expiresAt: e.expiresAt.toISOString(),
      active: e.expiresAt > now(),
      justified: JSON.stringify(e.justified),
      comment: e.comment ?? '',
    }));
    send(res, f.format, 'exceptions', rows);
  });

  router.get('/feedback', async (req, res) => {
    const f = parseFilters(req);
    const rows = (await store.listFeedback(storeQuery(f))).map((r) => ({
      id: r.id,
      card: r.cardUuid,
      serviceId: r.serviceId,
      ruleId: r.ruleId,
      patientId: r.patientId,
      prescriber: r.userId,
      outcome: r.outcome,
      outcomeTimestamp: r.outcomeTimestamp.toISOString(),
      acceptedSuggestions: r.acceptedSuggestions.join(' '),
      reasonCode: r.overrideReason?.code ?? '',
      reason: r.overrideReason?.display ?? '',
      comment: r.userComment ?? '',
    }));
    send(res, f.format, 'feedback', rows);
  });

  router.get('/alert-report', async (req, res) => {
    const f = parseFilters(req);
    const to = date(f.to) ?? now();
    const from = date(f.from) ?? new Date(to.getTime() - 30 * 86_400_000);
    const rows = (await store.ruleActivity(from, to)).map((r) => ({
      ruleId: r.ruleId,
      shown: r.shown,
      accepted: r.accepted,
      overridden: r.overridden,
      overrideRate: r.shown > 0 ? Math.round((r.overridden / r.shown) * 1000) / 1000 : 0,
      reasons: Object.entries(r.reasons)
        .map(([code, n]) => `${code}:${n}`)
        .join(' '),
    }));
    if (f.format === 'csv') return send(res, 'csv', 'alert-report', rows);
    // Alert load: how many cards each call showed (order-select and order-sign calls are one order each).
    const perCall = (await store.cardsPerCall(from, to)).map((c) => ({ ...c, meanPerCall: Math.round((c.cards / c.calls) * 100) / 100 }));
    res.json({ from: from.toISOString(), to: to.toISOString(), rules: rows, cardsPerCall: perCall });
  });
  return router;
}

function parseFilters(req: Request): z.infer<typeof filters> {
  const parsed = filters.safeParse(req.query);
  if (!parsed.success) throw invalidRequest(zodProblems(parsed.error));
  return parsed.data;
}

function storeQuery(f: z.infer<typeof filters>) {
  return { patientId: f.patient, ruleId: f.rule, userId: f.prescriber, from: date(f.from), to: date(f.to), limit: f.limit };
}

function date(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}


function send(res: Response, format: 'json' | 'csv', name: string, rows: Record<string, unknown>[]): void {
  if (format === 'json') {
    res.json({ [name]: rows, count: rows.length });
    return;
  }
  res.type('text/csv').setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(toCsv(rows));
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const header = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    let text = v === undefined || v === null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `${[header.join(','), ...rows.map((r) => header.map((h) => cell(r[h])).join(','))].join('\r\n')}\r\n`;
}
