import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';

/**
 * Errors are values: an OperationOutcome and the kind of failure it reports,
 * built by the small factories below. The kind alone decides the HTTP status
 * (STATUS, the one mapping, as Medplum maps an outcome to a status); the one
 * error handler in app.ts sends it. The diagnostics text is written for the
 * client: never a stack trace, a token or patient data.
 */
export class OutcomeError extends Error {
  override readonly name = 'OutcomeError';
  constructor(
    readonly kind: OutcomeKind,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue.map((i) => i.diagnostics ?? i.code).join('; '));
  }

  get status(): number {
    return STATUS[this.kind];
  }
}

/** The kinds of failure this service reports, each with its HTTP status. */
const STATUS = {
  invalid: 400,
  login: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'precondition-failed': 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  throttled: 429,
  exception: 500,
  unavailable: 503,
} as const;

export type OutcomeKind = keyof typeof STATUS;

function outcome(kind: OutcomeKind, issues: readonly { code: string; diagnostics: string; expression?: string[] }[], severity: OperationOutcomeIssue['severity'] = 'error'): OutcomeError {
  return new OutcomeError(kind, {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({ severity, code: i.code, diagnostics: i.diagnostics, ...(i.expression?.length ? { expression: i.expression } : {}) })),
  });
}

export const badRequest = (diagnostics: string, expression?: string[]) => outcome('invalid', [{ code: 'invalid', diagnostics, ...(expression ? { expression } : {}) }]);

const problemIssues = (problems: readonly { path: string; message: string }[]) =>
  problems.slice(0, 20).map((p) => ({ code: 'invalid', diagnostics: p.path ? `${p.path}: ${p.message}` : p.message, ...(p.path ? { expression: [p.path] } : {}) }));

/** Several validation problems reported together. */
export const invalidRequest = (problems: readonly { path: string; message: string }[]) => outcome('invalid', problemIssues(problems));
/** Every item named something this service does not know (for example feedback on cards it never issued). */
export const notFoundItems = (problems: readonly { path: string; message: string }[]) =>
  outcome('not-found', problemIssues(problems).map((i) => ({ ...i, code: 'not-found' })));

export const unauthorized = () => outcome('login', [{ code: 'login', diagnostics: 'Authentication required' }]);
export const forbidden = (diagnostics = 'Not allowed') => outcome('forbidden', [{ code: 'forbidden', diagnostics }]);
export const notFound = (diagnostics: string) => outcome('not-found', [{ code: 'not-found', diagnostics }]);
export const methodNotAllowed = (allowed: string) => outcome('method-not-allowed', [{ code: 'not-supported', diagnostics: `Method not allowed; use ${allowed}` }]);
export const preconditionFailed = (diagnostics: string) => outcome('precondition-failed', [{ code: 'incomplete', diagnostics }]);
export const payloadTooLarge = (diagnostics = 'Request body is too large') => outcome('too-large', [{ code: 'too-costly', diagnostics }]);
export const unsupportedMediaType = () => outcome('unsupported-media-type', [{ code: 'not-supported', diagnostics: 'Content-Type must be application/json' }]);
export const tooManyRequests = () => outcome('throttled', [{ code: 'throttled', diagnostics: 'Too many requests' }]);
export const serviceUnavailable = (diagnostics: string) => outcome('unavailable', [{ code: 'transient', diagnostics }]);
export const internalError = () => outcome('exception', [{ code: 'exception', diagnostics: 'Internal error' }], 'fatal');

export function isOperationOutcome(value: unknown): value is OperationOutcome {
  return typeof value === 'object' && value !== null && (value as { resourceType?: unknown }).resourceType === 'OperationOutcome';
}
