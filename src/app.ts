import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Config } from './config.js';
import { parseFeedback } from './cds/feedback.js';
import { acceptFeedback, type ExceptionPolicy } from './pipeline/feedback.js';
import type { PainKnowledge } from './clinical/knowledge.js';
import { runHook } from './pipeline/hook.js';
import type { RuleRuntime } from './rules/runtime.js';
import {
  OutcomeError,
  internalError,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  badRequest,
  serviceUnavailable,
  unauthorized,
  unsupportedMediaType,
  tooManyRequests,
} from './cds/outcome.js';
import { createRateLimiter } from './cds/rate-limit.js';
import { ClientAuthError } from './cds/auth/client-trust.js';
import { auditRouter } from './admin/audit-router.js';
import type { Logger } from './logger.js';
import { findService, services } from './services/index.js';
import { StoreUnavailableError, type Store } from './store/store.js';

/** Verifies the client's JWT for one endpoint URL; throws on any failure. */
export interface ClientVerifier {
  verify(authorizationHeader: string | undefined, audience: string): Promise<{ iss: string; publicTestKey?: string }>;
}

export interface AppDeps {
  readonly config: Config;
  readonly rules: RuleRuntime<PainKnowledge>;
  readonly store: Store;
  /** Undefined only when CDS_AUTH=off (local development). */
  readonly verifier: ClientVerifier | undefined;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Extra routers mounted before the 404 handler (demo EHR, SMART app). */
  readonly mount?: readonly { path: string; router: express.Router }[];
  /** Decides which overrides become exceptions on file. */
  readonly exceptionFor: ExceptionPolicy;
  /** Reports rule-set health for /healthz. */
  readonly health?: () => Record<string, unknown>;
}

/** Builds the Express app; never listens (main.ts does). */
export function createApp(deps: AppDeps): express.Express {
  const { config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // No ETag hashing of every JSON answer: hook responses are never cached (static files keep theirs).
  app.set('etag', false);
  app.use(helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'cross-origin' } }));
  app.use(requestLog(logger));

  // Always 200 while the instance answers hook calls: a rejected rule reload is reported ("degraded"), not a reason to take it out of service.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...(deps.health?.() ?? {}) });
  });

  const cds = express.Router();
  cds.use(cors(config.corsOrigins));
  cds.use(authenticate(deps));
  cds.use(jsonBody(config.bodyLimit));

  cds.get('/', (_req, res) => {
    res.json({ services: services.map((s) => s.definition) });
  });

  cds.post('/:id', async (req, res) => {
    const service = findService(String(req.params.id));
    if (!service) throw notFound(`No CDS service with id '${req.params.id}'`);
    res.locals.serviceId = service.definition.id;
    const budget = AbortSignal.timeout(config.hookBudgetMs);
    const outcome = await runHook(
      service,
      req.body,
      {
        rules: deps.rules,
        store: deps.store,
        prefetch: config.prefetch,
        cardTtlMs: config.feedbackCardTtlDays * 86_400_000,
        now,
      },
      { debug: config.debug && req.query.debug === 'rules', budget },
    );
    res.locals.hookInstance = outcome.hookInstance;
    res.locals.cards = outcome.response.cards.length;
    if (outcome.prefetchFetched.length) res.locals.prefetchFetched = outcome.prefetchFetched;
    if (outcome.prefetchUnavailable.length) res.locals.prefetchUnavailable = outcome.prefetchUnavailable;
    if (outcome.prefetchOtherPatient.length) {
      // A client or FHIR server fault worth an integrator's attention; the ids themselves stay out of the log.
      logger.warn({ serviceId: service.definition.id, hookInstance: outcome.hookInstance, keys: outcome.prefetchOtherPatient }, 'prefetch held records of another patient: those keys were not used');
    }
    res.json(outcome.response);
  });

  cds.post('/:id/feedback', async (req, res) => {
    const service = findService(String(req.params.id));
    if (!service) throw notFound(`No CDS service with id '${req.params.id}'`);
    res.locals.serviceId = service.definition.id;
    const records = parseFeedback(req.body, service.definition.id, now());
    // A store that cannot be written is a 503 from the error handler; nothing is half-written.
    res.locals.feedbackStored = (await acceptFeedback(deps.store, records, deps.exceptionFor)).stored;
    res.json({});
  });

  cds.all('/', (_req) => {
    throw methodNotAllowed('GET');
  });
  cds.all('/:id', (req) => {
    if (!findService(String(req.params.id))) throw notFound(`No CDS service with id '${req.params.id}'`);
    throw methodNotAllowed('POST');
  });
  cds.all('/:id/feedback', () => {
    throw methodNotAllowed('POST');
  });

  app.use('/cds-services', cds);
  app.use('/admin/audit', auditRouter(deps.store, config.adminToken, now));
  for (const m of deps.mount ?? []) app.use(m.path, m.router);

  app.use((req, res) => {
    // The log names the route as logged (never a raw path that may hold ids); the client gets the path it called.
    res.locals.reason = `Nothing at ${req.method} ${loggedRoute(req).route}`;
    throw notFound(`Nothing at ${req.method} ${req.path}`);
  });
  app.use(errorHandler(logger));
  return app;
}

function cors(origins: Config['corsOrigins']) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin && (origins === '*' || origins.includes(origin))) {
      res.setHeader('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
      if (origins !== '*') res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    // Browsers send the preflight without credentials: answer it before auth.
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

function authenticate(deps: AppDeps) {
  const limiter = createRateLimiter(deps.config.auth.rateLimitPerMinute, {
    ...(deps.store.shared ? { shared: deps.store.shared } : {}),
    onSharedUnavailable: (message) => deps.logger.warn({ err: message }, 'shared rate limit unavailable: this process counts on its own until the store is back'),
  });
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!deps.verifier) return next();
    // aud is the URL of the endpoint called, from the configured public base
    // URL (never from the Host header), without query string.
    const path = req.originalUrl.split('?')[0]!.replace(/\/+$/, '');
    const audience = `${deps.config.publicBaseUrl}${path}`;
    try {
      const client = await deps.verifier.verify(req.headers.authorization, audience);
      res.locals.clientIss = client.iss;
      // A client whose private key is published (the CDS Hooks Sandbox): said on every request it makes.
      if (client.publicTestKey) res.locals.publicTestKey = client.publicTestKey;
    } catch (e) {
      res.locals.authFailure = e instanceof Error ? e.message : 'rejected';
      if (e instanceof ClientAuthError && e.detail) res.locals.authDetail = e.detail;
      return next(unauthorized());
    }
    if (!(await limiter.take(res.locals.clientIss as string))) return next(tooManyRequests());
    next();
  };
}

function jsonBody(limit: string) {
  const parse = express.json({ limit, type: () => true, strict: true });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/(fhir\+)?json\b/i.test(type)) return next(unsupportedMediaType());
    parse(req, res, next);
  };
}

function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const l = res.locals;
      const { route, kind } = loggedRoute(req);
      logger.info(
        {
          method: req.method,
          route,
          kind,
          status: res.statusCode,
          reason: l.reason,
          ms: Math.round(ms * 100) / 100,
          serviceId: l.serviceId,
          hookInstance: l.hookInstance,
          cards: l.cards,
          clientIss: l.clientIss,
          publicTestKey: l.publicTestKey,
          authFailure: l.authFailure,
          authDetail: l.authDetail,
          prefetchFetched: l.prefetchFetched,
          prefetchUnavailable: l.prefetchUnavailable,
          feedbackStored: l.feedbackStored,
        },
        'request',
      );
    });
    next();
  };
}

/** The one place errors become responses: OperationOutcome bodies, never a stack trace. */
function errorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    let error: OutcomeError;
    if (err instanceof OutcomeError) error = err;
    else if (err instanceof StoreUnavailableError) error = serviceUnavailable('The service cannot use its storage right now; nothing was saved. Please retry.');
    else if (isBodyParserError(err, 'entity.too.large')) error = payloadTooLarge();
    else if (isBodyParserError(err, 'entity.parse.failed')) error = badRequest('Request body is not valid JSON');
    else if (isBodyParserError(err, 'encoding.unsupported') || isBodyParserError(err, 'charset.unsupported')) error = unsupportedMediaType();
    else if (isHttpError(err) && err.status >= 400 && err.status < 500) error = badRequest('Request could not be read');
    else {
      logger.error({ err: describe(err) }, 'unhandled error');
      error = internalError();
    }
    res.locals.reason ??= logReason(error);
    res.status(error.status).type('application/fhir+json').send(JSON.stringify(error.outcome));
  };
}

function isBodyParserError(err: unknown, type: string): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === type;
}

function isHttpError(err: unknown): err is { status: number } {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/**
 * How a request is named in the log: CDS Hooks routes in full
 * (`/cds-services/opioid-order-select/feedback`) with their kind (discovery,
 * hook or feedback); other routes by their first segment only, because demo
 * FHIR paths hold patient ids. A path segment that is not a plausible service
 * id is logged as `{invalid}`.
 */
function loggedRoute(req: Request): { route: string; kind?: 'discovery' | 'hook' | 'feedback' } {
  const path = req.originalUrl.split('?')[0]!;
  const segments = path.split('/').filter(Boolean);
  if (segments[0] !== 'cds-services') return { route: `/${(segments[0] ?? '').slice(0, 40)}`.replace(/[^\w./-]/g, '_') };
  const rest = segments.slice(1, 4).map((s) => (/^[A-Za-z0-9_-]{1,64}$/.test(s) ? s : '{invalid}'));
  const route = ['', 'cds-services', ...rest].join('/') + (segments.length > 4 ? '/...' : '');
  if (rest.length === 0) return { route, kind: 'discovery' };
  if (rest.length === 1) return { route, kind: 'hook' };
  if (rest.length === 2 && rest[1] === 'feedback') return { route, kind: 'feedback' };
  return { route };
}

/** The OperationOutcome's reason for the log: its diagnostics, short, with anything shaped like a JWT removed. */
function logReason(error: OutcomeError): string {
  const text = error.outcome.issue.map((i) => i.diagnostics ?? i.code).join('; ');
  return text.replace(/eyJ[\w-]*\.[\w-]*\.?[\w-]*/g, '[token]').slice(0, 300);
}

/** Error name and message only: stacks stay out of logs that leave the host, and messages never carry tokens. */
function describe(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message.slice(0, 500) };
  return { name: typeof err, message: 'non-error thrown' };
}
