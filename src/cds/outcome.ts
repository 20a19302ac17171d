import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';

/**
 * Errors are values: an OperationOutcome plus the HTTP status it maps to.
 * Built by the small factories below; sent by the one error handler in app.ts.
 * The diagnostics text is written for the client: never a stack trace, a token
 * or patient data.
 */
export class OutcomeError extends Error {
  override readonly name = 'OutcomeError';
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue.map((i) => i.diagnostics ?? i.code).join('; '));
  }
}

function outcome(severity: OperationOutcomeIssue['severity'], code: string, diagnostics: string, expression?: string[]): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, diagnostics };
  if (expression && expression.length > 0) issue.expression = expression;
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

export const badRequest = (diagnostics: string, expression?: string[]) =>
  new OutcomeError(400, outcome('error', 'invalid', diagnostics, expression));

/** Several validation problems reported together. */
export const invalidRequest = (problems: { path: string; message: string }[]) =>
  new OutcomeError(400, {
    resourceType: 'OperationOutcome',
    issue: problems.slice(0, 20).map((p) => ({
      severity: 'error',
      code: 'invalid',
      diagnostics: p.path ? `${p.path}: ${p.message}` : p.message,
      ...(p.path ? { expression: [p.path] } : {}),
    })),
  });

export const unauthorized = () => new OutcomeError(401, outcome('error', 'login', 'Authentication required'));
export const forbidden = (diagnostics = 'Not allowed') => new OutcomeError(403, outcome('error', 'forbidden', diagnostics));
export const notFound = (diagnostics: string) => new OutcomeError(404, outcome('error', 'not-found', diagnostics));
export const methodNotAllowed = (allowed: string) =>
  new OutcomeError(405, outcome('error', 'not-supported', `Method not allowed; use ${allowed}`));
export const preconditionFailed = (diagnostics: string) =>
  new OutcomeError(412, outcome('error', 'incomplete', diagnostics));
export const payloadTooLarge = (diagnostics = 'Request body is too large') =>
  new OutcomeError(413, outcome('error', 'too-costly', diagnostics));
export const unsupportedMediaType = () =>
  new OutcomeError(415, outcome('error', 'not-supported', 'Content-Type must be application/json'));
export const tooManyRequests = () => new OutcomeError(429, outcome('error', 'throttled', 'Too many requests'));
export const serviceUnavailable = (diagnostics: string) =>
  new OutcomeError(503, outcome('error', 'transient', diagnostics));
export const internalError = () => new OutcomeError(500, outcome('fatal', 'exception', 'Internal error'));

export function isOperationOutcome(value: unknown): value is OperationOutcome {
  return typeof value === 'object' && value !== null && (value as { resourceType?: unknown }).resourceType === 'OperationOutcome';
}
