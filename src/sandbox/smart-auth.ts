import { createHash, randomBytes } from 'node:crypto';
import express from 'express';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Authorization } from './fhir-server.js';

/**
 * The demo EHR's small SMART App Launch 2.x authorization server (public
 * clients, EHR launch, PKCE S256 only). Launch ids and codes are single-use
 * and short-lived; redirect URIs must match exactly; access tokens are JWTs
 * signed here and checked by the FHIR routes. Demo and tests only.
 */
export interface SmartClient {
  readonly clientId: string;
  readonly redirectUris: readonly string[];
}

export interface LaunchContext {
  readonly patient: string;
  readonly practitioner: string;
  /** Opaque, short reference chosen by the card (never patient data). */
  readonly appContext?: string;
}

export interface SmartAuthOptions {
  /** Base URL of these endpoints, e.g. http://host/smart. */
  readonly issuer: string;
  /** The FHIR base the tokens are for (the `aud` of authorize). */
  readonly fhirBaseUrl: string;
  readonly clients: readonly SmartClient[];
  readonly now?: () => number;
  readonly launchTtlSeconds?: number;
  readonly codeTtlSeconds?: number;
  readonly tokenTtlSeconds?: number;
}

export interface SmartAuth {
  readonly router: express.Router;
  readonly configuration: Record<string, unknown>;
  createLaunch(ctx: LaunchContext): string;
  /** A token for server-side access (e.g. the fhirAuthorization of a hook call). */
  issueAccessToken(claims: { patient?: string; practitioner?: string; scope: string; clientId: string }): Promise<string>;
  /** Bearer check for the FHIR routes: valid token; a patient-scoped token is kept to its patient's compartment. */
  authorizeFhir(token: string | undefined, patientId: string | undefined): Promise<Authorization>;
}

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scope: string;
  readonly launch: LaunchContext;
  readonly expiresAt: number;
}

const b64url = (buf: Buffer) => buf.toString('base64url');

export async function createSmartAuth(options: SmartAuthOptions): Promise<SmartAuth> {
  const now = options.now ?? (() => Date.now());
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = b64url(randomBytes(8));
  const jwks: { keys: JWK[] } = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const launches = new Map<string, { ctx: LaunchContext; expiresAt: number }>();
  const codes = new Map<string, PendingCode>();
  const tokenTtl = options.tokenTtlSeconds ?? 3600;

  const sign = (claims: Record<string, unknown>, audience: string, ttl: number, key: CryptoKey = privateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setAudience(audience)
      .setIssuedAt(Math.floor(now() / 1000))
      .setExpirationTime(Math.floor(now() / 1000) + ttl)
      .setJti(b64url(randomBytes(12)))
      .sign(key);

  const configuration = {
    issuer: options.issuer,
    authorization_endpoint: `${options.issuer}/authorize`,
    token_endpoint: `${options.issuer}/token`,
    jwks_uri: `${options.issuer}/jwks`,
    grant_types_supported: ['authorization_code'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: ['openid', 'fhirUser', 'launch', 'launch/patient', 'patient/*.rs', 'patient/*.read', 'patient/*.write', 'user/*.rs'],
    capabilities: ['launch-ehr', 'client-public', 'context-ehr-patient', 'context-ehr-encounter', 'sso-openid-connect', 'permission-patient', 'permission-v2'],
  };

  const router = express.Router();
  router.use((req, res, next) => {
    // The token endpoint is called from the browser app: CORS, no credentials.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });
  router.get('/jwks', (_req, res) => void res.json(jwks));

  router.get('/authorize', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const client = options.clients.find((c) => c.clientId === q.client_id);
    // Unknown client or redirect URI: never redirect anywhere.
    if (!client || !q.redirect_uri || !client.redirectUris.includes(q.redirect_uri)) {
      res.status(400).type('text/plain').send('Unknown client or unregistered redirect_uri.');
      return;
    }
    const fail = (error: string, description: string) => {
      const url = new URL(q.redirect_uri!);
      url.searchParams.set('error', error);
      url.searchParams.set('error_description', description);
      if (q.state) url.searchParams.set('state', q.state);
      res.redirect(302, url.toString());
    };
    if (q.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (!q.state) return fail('invalid_request', 'state is required');
    if (q.aud !== options.fhirBaseUrl) return fail('invalid_request', 'aud must be the FHIR server base URL');
    if (q.code_challenge_method !== 'S256' || !q.code_challenge) return fail('invalid_request', 'PKCE with S256 is required');
    const launch = q.launch ? launches.get(q.launch) : undefined;
    if (!launch || launch.expiresAt < now()) return fail('invalid_request', 'unknown, used or expired launch');
    launches.delete(q.launch!);
    const code = b64url(randomBytes(32));
    codes.set(code, { clientId: client.clientId, redirectUri: q.redirect_uri, challenge: q.code_challenge, scope: q.scope ?? '', launch: launch.ctx, expiresAt: now() + (options.codeTtlSeconds ?? 60) * 1000 });
    const url = new URL(q.redirect_uri);
    url.searchParams.set('code', code);
    url.searchParams.set('state', q.state);
    res.redirect(302, url.toString());
  });

  router.post('/token', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const b = (req.body ?? {}) as Record<string, string | undefined>;
    const error = (status: number, code: string, description: string) => void res.status(status).setHeader('Cache-Control', 'no-store').json({ error: code, error_description: description });
    if (b.grant_type !== 'authorization_code') return error(400, 'unsupported_grant_type', 'authorization_code only');
    const pending = b.code ? codes.get(b.code) : undefined;
    if (b.code) codes.delete(b.code); // single use, even when the rest is wrong
    if (!pending || pending.expiresAt < now()) return error(400, 'invalid_grant', 'unknown, used or expired code');
    if (pending.clientId !== b.client_id || pending.redirectUri !== b.redirect_uri) return error(400, 'invalid_grant', 'client_id or redirect_uri does not match');
    const verifier = b.code_verifier ?? '';
    if (b64url(createHash('sha256').update(verifier).digest()) !== pending.challenge) return error(400, 'invalid_grant', 'code_verifier does not match');
    const scopes = pending.scope.split(/\s+/).filter(Boolean);
    const accessToken = await sign({ scope: pending.scope, patient: pending.launch.patient, sub: pending.launch.practitioner, client_id: pending.clientId }, options.fhirBaseUrl, tokenTtl);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: tokenTtl,
      scope: pending.scope,
      patient: pending.launch.patient,
      need_patient_banner: true,
      ...(pending.launch.appContext ? { appContext: pending.launch.appContext } : {}),
    };
    if (scopes.includes('openid') && scopes.includes('fhirUser')) {
      body.id_token = await sign({ sub: pending.launch.practitioner, fhirUser: `${options.fhirBaseUrl}/${pending.launch.practitioner}`, name: 'Dr Dana Prescriber ~~~ ???' }, pending.clientId, tokenTtl);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    res.json(body);
  });

  return {
    router,
    configuration,
    createLaunch(ctx) {
      const id = b64url(randomBytes(16));
      launches.set(id, { ctx, expiresAt: now() + (options.launchTtlSeconds ?? 300) * 1000 });
      return id;
    },
    issueAccessToken: (c) => sign({ scope: c.scope, ...(c.patient ? { patient: c.patient } : {}), ...(c.practitioner ? { sub: c.practitioner } : {}), client_id: c.clientId }, options.fhirBaseUrl, 300),
    async authorizeFhir(token, patientId) {
      if (!token) return 'unauthorized';
      try {
        const { payload } = await jwtVerify(token, async () => publicKey, { issuer: options.issuer, audience: options.fhirBaseUrl, currentDate: new Date(now()) });
        const scope = String(payload.scope ?? '');
        if (!/(^|\s)patient\//.test(scope) || /(^|\s)(user|system)\//.test(scope)) return 'allow';
        // A patient-scoped token: its patient only, and no patient at all is no access.
        if (typeof payload.patient !== 'string' || payload.patient === '') return 'forbidden';
        if (patientId && payload.patient !== patientId) return 'forbidden';
        return { patient: payload.patient };
      } catch {
        return 'unauthorized';
      }
    },
  };
}
