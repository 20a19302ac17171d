import type { Bundle, FhirResource } from 'fhir/r4';
import { isOperationOutcome, preconditionFailed } from './outcome.js';
import { isAboutAnotherPatient } from './patient-scope.js';
import type { HookRequest } from './types.js';

/**
 * Prefetch resolution (https://cds-hooks.hl7.org/2.0/#prefetch-template).
 * For each key the service declares, the client may have sent:
 *   a resource or Bundle -> used as is (Bundle `next` links followed when we can);
 *   null                 -> the query ran and found nothing;
 *   an OperationOutcome, or nothing -> fetched from fhirServer with the client's
 *                           token, all keys in parallel, each under a timeout.
 * A required key that cannot be had is a 412; an optional one is reported as
 * unavailable so cards can say what could not be checked. The access token is
 * only ever placed in the Authorization header of calls to fhirServer.
 */
export interface PrefetchSpec {
  readonly templates: Readonly<Record<string, string>>;
  readonly required: readonly string[];
}

export interface PrefetchOptions {
  readonly timeoutMs: number;
  readonly maxPages: number;
  /** Largest FHIR response body accepted, in bytes. */
  readonly maxBodyBytes?: number;
  /** Aborts every outstanding call when the hook's overall time budget is spent. */
  readonly budget?: AbortSignal;
}

export interface UnavailablePrefetch {
  readonly key: string;
  readonly reason: string;
  /** The FHIR server refused the token (401 or 403): the caller's access, not the server, is the problem. */
  readonly refused?: true;
  /**
   * The key held records of another patient besides this patient's: those were
   * dropped, this patient's were kept, and the list may be incomplete (so no
   * card may say that something is absent from it).
   */
  readonly otherPatient?: true;
}

export interface ResolvedPrefetch {
  readonly resources: ReadonlyMap<string, readonly FhirResource[]>;
  readonly unavailable: readonly UnavailablePrefetch[];
  /** Keys fetched from fhirServer by this service (for logs and provenance). */
  readonly fetched: readonly string[];
  /** Keys whose records of another patient were dropped (logged as a warning: a client or FHIR server fault). */
  readonly otherPatientKeys: readonly string[];
}

const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

export async function resolvePrefetch(request: HookRequest, spec: PrefetchSpec, options: PrefetchOptions): Promise<ResolvedPrefetch> {
  const resources = new Map<string, FhirResource[]>();
  const unavailable: UnavailablePrefetch[] = [];
  const fetched: string[] = [];
  const client = fhirClient(request, options);

  await Promise.all(
    Object.entries(spec.templates).map(async ([key, template]) => {
      const given = Object.hasOwn(request.prefetch, key) ? request.prefetch[key] : undefined;
      if (given === null) {
        resources.set(key, []);
        return;
      }
      if (given !== undefined && !isOperationOutcome(given)) {
        const usable = resourcesOf(given);
        if (usable) {
          resources.set(key, usable);
          const next = nextLink(given);
          if (next && client) {
            const more = await client.followPages(next, 1).catch((e: unknown) => failure(e));
            if (Array.isArray(more)) usable.push(...more);
            else unavailable.push({ key, reason: `later pages: ${more.reason}` });
          }
          return;
        }
      }
      if (!client) {
        unavailable.push({ key, reason: given === undefined ? 'not prefetched and no FHIR server access' : 'prefetch failed and no FHIR server access' });
        return;
      }
      const query = renderTemplate(template, request);
      if (query === undefined) {
        unavailable.push({ key, reason: 'template needs a context value the request does not have' });
        return;
      }
      const result = await client.query(query).catch((e: unknown) => failure(e));
      if (Array.isArray(result)) {
        resources.set(key, result);
        fetched.push(key);
      } else {
        unavailable.push({ key, reason: result.reason, ...(result.refused ? { refused: true as const } : {}) });
      }
    }),
  );

  // Never another patient's data: their records are dropped; this patient's
  // are kept (they still show what is on file), but the key counts as
  // incomplete, so nothing is reported as absent from it.
  const otherPatientKeys: string[] = [];
  for (const [key, list] of resources) {
    const own = list.filter((r) => !isAboutAnotherPatient(r, request.context.patientId));
    if (own.length === list.length) continue;
    resources.set(key, own);
    otherPatientKeys.push(key);
    unavailable.push({ key, reason: 'it also held records of another patient, which were not used', otherPatient: true });
  }

  const missingRequired = spec.required.filter((key) => !resources.has(key));
  if (missingRequired.length > 0) {
    throw preconditionFailed(
      `Required prefetch data could not be obtained: ${missingRequired.join(', ')}. ` +
        'Send it in prefetch, or send fhirServer and fhirAuthorization so the service can fetch it.',
    );
  }
  return { resources, unavailable, fetched, otherPatientKeys };
}

/** Replaces prefetch tokens; undefined when a token has no value in this request. */
export function renderTemplate(template: string, request: HookRequest): string | undefined {
  const { context } = request;
  const user = context.userId;
  const userOf = (type: string) => (user.startsWith(`${type}/`) ? user.slice(type.length + 1) : undefined);
  const values: Record<string, string | undefined> = {
    'context.patientId': context.patientId,
    'context.userId': user,
    'context.encounterId': context.encounterId,
    userPractitionerId: userOf('Practitioner'),
    userPractitionerRoleId: userOf('PractitionerRole'),
    userPatientId: userOf('Patient'),
    userRelatedPersonId: userOf('RelatedPerson'),
  };
  let complete = true;
  const rendered = template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, token: string) => {
    const value = values[token];
    if (value === undefined) {
      complete = false;
      return '';
    }
    return encodeURIComponent(value);
  });
  return complete ? rendered : undefined;
}

function resourcesOf(value: unknown): FhirResource[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const resourceType = (value as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') return undefined;
  if (resourceType !== 'Bundle') return [value as FhirResource];
  const entries = (value as Bundle).entry;
  if (entries !== undefined && !Array.isArray(entries)) return undefined;
  return (entries ?? []).flatMap((e) => {
    const r = e?.resource;
    return r && typeof r === 'object' && typeof r.resourceType === 'string' && r.resourceType !== 'OperationOutcome' ? [r as FhirResource] : [];
  });
}

function nextLink(value: unknown): string | undefined {
  const links = (value as Bundle).link;
  if (!Array.isArray(links)) return undefined;
  const next = links.find((l) => l?.relation === 'next');
  return typeof next?.url === 'string' ? next.url : undefined;
}

interface Failure {
  reason: string;
  refused?: boolean;
}

function failure(e: unknown): Failure {
  if (e instanceof FetchFailure) return { reason: e.message, refused: e.refused };
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return { reason: 'FHIR server did not answer in time' };
  return { reason: 'FHIR server could not be reached' };
}

class FetchFailure extends Error {
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
  }
}

interface FhirClient {
  query(relative: string): Promise<FhirResource[]>;
  followPages(url: string, pagesAlreadyRead: number): Promise<FhirResource[]>;
}

function fhirClient(request: HookRequest, options: PrefetchOptions): FhirClient | undefined {
  const base = request.fhirServer;
  if (!base) return undefined;
  const origin = new URL(base).origin;
  const headers: Record<string, string> = { accept: 'application/fhir+json, application/json' };
  const auth = request.fhirAuthorization;
  if (auth) headers.authorization = `Bearer ${auth.access_token}`;
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function getJson(url: string): Promise<unknown> {
    // Never send the client's token anywhere but the FHIR server it named.
    if (new URL(url).origin !== origin) throw new FetchFailure('paging link points outside the FHIR server');
    const perCall = AbortSignal.timeout(options.timeoutMs);
    const signal = options.budget ? AbortSignal.any([perCall, options.budget]) : perCall;
    const response = await fetch(url, { headers, signal, redirect: 'error' });
    if (response.status === 401 || response.status === 403) throw new FetchFailure(`FHIR server refused access (${response.status})`, true);
    if (response.status === 404) return null;
    if (!response.ok) throw new FetchFailure(`FHIR server answered ${response.status}`);
    const text = await readLimited(response, maxBytes);
    try {
      return JSON.parse(text);
    } catch {
      throw new FetchFailure('FHIR server answered with something that is not JSON');
    }
  }

  async function readPages(first: unknown, url: string, pagesRead: number): Promise<FhirResource[]> {
    let page = first;
    const out: FhirResource[] = [];
    let count = pagesRead;
    for (;;) {
      if (page === null) return out;
      if (isOperationOutcome(page)) throw new FetchFailure('FHIR server answered with an OperationOutcome');
      const items = resourcesOf(page);
      if (!items) throw new FetchFailure('FHIR server answered with something that is not a FHIR resource');
      out.push(...items);
      const next = nextLink(page);
      if (!next) return out;
      if (count >= options.maxPages) throw new FetchFailure(`more than ${options.maxPages} pages of results`);
      const nextUrl = new URL(next, url).toString();
      page = await getJson(nextUrl);
      count++;
    }
  }

  return {
    async query(relative) {
      const url = `${base}/${relative.replace(/^\/+/, '')}`;
      return readPages(await getJson(url), url, 1);
    },
    async followPages(url, pagesAlreadyRead) {
      const absolute = new URL(url, `${base}/`).toString();
      return readPages(await getJson(absolute), absolute, pagesAlreadyRead + 1);
    },
  };
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) throw new FetchFailure('FHIR server response is too large');
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new FetchFailure('FHIR server response is too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
