import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { TrustedClient } from './clients-file.js';
import { createHash } from 'node:crypto';
import { StoreUnavailableError, type SharedState } from '../../store/store.js';
import { findPublicTestKeys } from './public-test-keys.js';

/**
 * Verifies a CDS client's JWT (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients).
 * Checks, in order: bearer token present and of sane size; alg allowlisted
 * (never none or HS*); iss allowlisted; aud exactly the endpoint URL; exp/iat
 * with a small skew; lifetime cap; tenant allowlist; the verification key
 * (pinned keys win: a pinned kid is used whatever the jku says, and a jku that
 * is not on the client's allowlist is never fetched); signature;
 * jti never seen before (recorded only after the signature verified, so a
 * forged token cannot burn a jti). Any failure throws ClientAuthError; the
 * HTTP layer answers 401 without detail. Messages never contain the token;
 * `detail` carries the token's non-secret header and routing claims (iss, kid,
 * alg, jku, aud) and the audience expected, for the log an integrator reads.
 */
export interface AuthFailureDetail {
  readonly iss?: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly jku?: string;
  readonly aud?: string | string[];
  readonly expectedAud?: string;
}

export class ClientAuthError extends Error {
  override readonly name = 'ClientAuthError';
  constructor(
    message: string,
    readonly detail?: AuthFailureDetail,
  ) {
    super(message);
  }
}

export interface VerifiedClient {
  readonly iss: string;
  readonly jti: string;
  readonly tenant?: string;
  readonly kid?: string;
  /** Set when this client's keys are public test keys (the CDS Hooks Sandbox's): logged with every request. */
  readonly publicTestKey?: string;
}

export interface ClientTrustOptions {
  readonly clients: readonly TrustedClient[];
  readonly algorithms?: readonly string[];
  readonly maxLifetimeSeconds?: number;
  readonly clockSkewSeconds?: number;
  /** Fetches a JWKS document; injectable for tests. Default: fetch with a 3 s timeout and a 256 KiB cap. */
  readonly fetchJwks?: (url: string) => Promise<unknown>;
  readonly jwksRefetchMinIntervalMs?: number;
  /** Most remembered jti values; when full of unexpired entries, new tokens are refused rather than replay protection weakened. */
  readonly maxReplayEntries?: number;
  readonly now?: () => number;
  /**
   * The replay cache shared by every process and instance (the store's `shared`): a token used on one is refused on all.
   * Each process also remembers the ids it saw; while the shared cache cannot be reached, that memory alone decides
   * (a replay to the same process is still refused), and `onSharedUnavailable` is told.
   */
  readonly sharedReplay?: Pick<SharedState, 'rememberJti'>;
  readonly onSharedUnavailable?: (message: string) => void;
}

export interface ClientTrust {
  verify(authorizationHeader: string | undefined, audience: string): Promise<VerifiedClient>;
}

const MAX_TOKEN_BYTES = 8192;

export function createClientTrust(options: ClientTrustOptions): ClientTrust {
  const algorithms = (options.algorithms ?? ['ES384', 'RS384']).filter((a) => a !== 'none' && !a.toUpperCase().startsWith('HS'));
  const maxLifetime = options.maxLifetimeSeconds ?? 300;
  const skew = options.clockSkewSeconds ?? 30;
  const now = options.now ?? (() => Date.now());
  const fetchJwks = options.fetchJwks ?? defaultFetchJwks;
  const refetchInterval = options.jwksRefetchMinIntervalMs ?? 60_000;
  const maxReplay = options.maxReplayEntries ?? 100_000;
  const clients = new Map(options.clients.map((c) => [c.iss, c]));
  const pinned = new Map(
    options.clients
      .filter((c) => c.jwks)
      .map((c) => [c.iss, { keys: createLocalJWKSet(c.jwks as JSONWebKeySet), kids: new Set(c.jwks!.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string')) }]),
  );
  const remote = new Map<string, { keys?: ReturnType<typeof createLocalJWKSet>; kids: Set<string>; fetchedAt: number; pending?: Promise<void> }>();
  const seenJti = new Map<string, number>();
  const publicTestKeys = new Map(findPublicTestKeys(options.clients).map((u) => [u.iss, u.key]));

  async function remoteKeys(url: string, kid: string | undefined) {
    let entry = remote.get(url);
    if (!entry) remote.set(url, (entry = { kids: new Set(), fetchedAt: 0 }));
    const e = entry;
    const known = e.keys && (kid === undefined || e.kids.has(kid));
    if (!known && now() - e.fetchedAt >= refetchInterval) {
      // Concurrent refetches of one URL share one request; at most one per interval.
      e.pending ??= (async () => {
        e.fetchedAt = now();
        try {
          const doc = (await fetchJwks(url)) as JSONWebKeySet;
          if (!doc || !Array.isArray(doc.keys)) throw new Error('not a JWKS');
          e.keys = createLocalJWKSet(doc);
          e.kids = new Set(doc.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
        } finally {
          e.pending = undefined;
        }
      })();
      await e.pending.catch(() => undefined);
    }
    if (!e.keys) throw new ClientAuthError('JWKS unavailable');
    return e.keys;
  }

  /**
   * The keys a token is checked against. Pinned keys win: many EHRs (and the
   * CDS Hooks Sandbox) put a jku in every token even when their keys are
   * pinned here, so a pinned kid is used and the jku is ignored. A jku is
   * fetched only when it is on the client's allowlist, never otherwise.
   */
  async function keysFor(client: TrustedClient, kid: string | undefined, jku: string | undefined) {
    const pinnedKeys = pinned.get(client.iss);
    const jkuAllowed = jku !== undefined && (client.jkuAllowlist?.includes(jku) ?? false);
    if (pinnedKeys && (kid === undefined ? !jkuAllowed : pinnedKeys.kids.has(kid))) return pinnedKeys.keys;
    if (jkuAllowed) return remoteKeys(jku!, kid);
    if (pinnedKeys) throw new ClientAuthError(jku === undefined ? 'kid is not one of the pinned keys' : 'kid is not one of the pinned keys, and jku not allowed');
    if (jku !== undefined) throw new ClientAuthError('jku not allowed');
    if (client.jwksUri) return remoteKeys(client.jwksUri, kid);
    throw new ClientAuthError('no keys for issuer');
  }

  function rememberJti(key: string, exp: number): void {
    const t = now() / 1000;
    if (seenJti.size >= maxReplay) for (const [k, until] of seenJti) if (until < t) seenJti.delete(k);
    if (seenJti.size >= maxReplay) throw new ClientAuthError('replay cache full');
    seenJti.set(key, exp + skew);
  }

  /** The shared cache (other processes and instances); the key is a hash, so any jti fits any store. Entries expire with the token. */
  async function rememberShared(key: string, exp: number): Promise<void> {
    if (!options.sharedReplay) return;
    let fresh: boolean;
    try {
      fresh = await options.sharedReplay.rememberJti(createHash('sha256').update(key).digest('base64url'), (exp + skew) * 1000, now());
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      options.onSharedUnavailable?.(e.message);
      return;
    }
    if (!fresh) throw new ClientAuthError('jti replayed');
  }

  async function check(token: string, protectedHeader: ReturnType<typeof decodeProtectedHeader>, claims: JWTPayload, audience: string): Promise<VerifiedClient> {
    const alg = protectedHeader.alg;
    if (!alg || !algorithms.includes(alg)) throw new ClientAuthError(`algorithm not allowed`);
    const client = typeof claims.iss === 'string' ? clients.get(claims.iss) : undefined;
    if (!client) throw new ClientAuthError('issuer not trusted');
    const aud = claims.aud;
    if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) throw new ClientAuthError('audience mismatch');
    const t = now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp + skew < t) throw new ClientAuthError('expired or no exp');
    if (typeof claims.iat !== 'number' || claims.iat - skew > t) throw new ClientAuthError('issued in the future or no iat');
    if (claims.exp - claims.iat > maxLifetime) throw new ClientAuthError('lifetime too long');
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) throw new ClientAuthError('no jti');
    const tenant = typeof claims.tenant === 'string' ? claims.tenant : undefined;
    if (client.tenants && (!tenant || !client.tenants.includes(tenant))) throw new ClientAuthError('tenant not allowed');
    const kid = typeof protectedHeader.kid === 'string' ? protectedHeader.kid : undefined;

    const keys = await keysFor(client, kid, typeof protectedHeader.jku === 'string' ? protectedHeader.jku : undefined);
    try {
      await jwtVerify(token, keys, { algorithms: [...algorithms], issuer: client.iss, audience, clockTolerance: skew, currentDate: new Date(now()) });
    } catch {
      throw new ClientAuthError('signature or claims rejected');
    }
    const replayKey = `${client.iss}\u0000${claims.jti}`;
    const until = seenJti.get(replayKey);
    if (until !== undefined && until >= t) throw new ClientAuthError('jti replayed');
    rememberJti(replayKey, claims.exp);
    await rememberShared(replayKey, claims.exp);
    const publicTestKey = publicTestKeys.get(client.iss);
    return { iss: client.iss, jti: claims.jti, ...(tenant ? { tenant } : {}), ...(kid ? { kid } : {}), ...(publicTestKey ? { publicTestKey } : {}) };
  }

  return {
    async verify(header, audience) {
      const m = /^Bearer\s+([A-Za-z0-9_\-.]+)$/i.exec(header?.trim() ?? '');
      if (!m) throw new ClientAuthError('missing or malformed Authorization header');
      const token = m[1]!;
      if (token.length > MAX_TOKEN_BYTES) throw new ClientAuthError('token too large');
      let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
      let claims: JWTPayload;
      try {
        protectedHeader = decodeProtectedHeader(token);
        claims = decodeJwt(token);
      } catch {
        throw new ClientAuthError('token is not a JWT');
      }
      try {
        return await check(token, protectedHeader, claims, audience);
      } catch (e) {
        if (e instanceof ClientAuthError && !e.detail) throw new ClientAuthError(e.message, describeToken(protectedHeader, claims, audience));
        throw e;
      }
    },
  };
}

/** What the log may say about a refused token: header and routing claims only, each short. */
function describeToken(header: ReturnType<typeof decodeProtectedHeader>, claims: JWTPayload, expectedAud: string): AuthFailureDetail {
  const short = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : undefined);
  const aud = Array.isArray(claims.aud) ? claims.aud.slice(0, 5).map((a) => String(a).slice(0, 200)) : short(claims.aud);
  const detail: Record<string, unknown> = { iss: short(claims.iss), kid: short(header.kid), alg: short(header.alg), jku: short(header.jku), aud, expectedAud };
  for (const k of Object.keys(detail)) if (detail[k] === undefined) delete detail[k];
  return detail as AuthFailureDetail;
}

async function defaultFetchJwks(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: 'error', headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`JWKS fetch answered ${res.status}`);
  const text = await res.text();
  if (text.length > 256 * 1024) throw new Error('JWKS too large');
  return JSON.parse(text);
}
