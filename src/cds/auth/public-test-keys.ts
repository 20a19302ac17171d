import { ConfigError } from '../../config.js';
import type { TrustedClient } from './clients-file.js';

/**
 * Keys whose private half is public: anybody can sign a token with them. A
 * CDS client using one is fine for trying the service out, never for real
 * patients, so production refuses to start when one is trusted and every
 * other mode says so loudly at start-up.
 *
 * The CDS Hooks Sandbox (https://sandbox.cds-hooks.org) signs every call with
 * one such key. Facts from its public source, github.com/cds-hooks/sandbox at
 * commit 3b7e25546771c6e7fc5e360aa7db6eb64af0b8b6:
 * - src/retrieve-data-helpers/jwt-generator.js: iss `https://sandbox.cds-hooks.org`,
 *   alg ES384, kid `44823f3d-0b01-4a6c-a80e-b9d3e8a7226f`, and a jku header
 *   `https://sandbox.cds-hooks.org/.well-known/jwks.json`;
 * - build/.well-known/jwks.json: the public JWK below (keys/ecprivkey.pem, in
 *   the same repository, is the matching private key).
 * config/clients/cds-hooks-sandbox.json is the ready-to-use CDS_CLIENTS entry.
 */
export interface PublicTestKey {
  readonly name: string;
  readonly iss: string;
  readonly jwksUrl: string;
  readonly jwk: { readonly kty: string; readonly crv?: string; readonly x?: string; readonly y?: string; readonly n?: string; readonly e?: string; readonly kid?: string };
}

export const CDS_HOOKS_SANDBOX: PublicTestKey = {
  name: 'CDS Hooks Sandbox',
  iss: 'https://sandbox.cds-hooks.org',
  jwksUrl: 'https://sandbox.cds-hooks.org/.well-known/jwks.json',
  jwk: {
    kty: 'EC',
    crv: 'P-384',
    kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f',
    x: 'dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB',
    y: 'Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy',
  },
};

const PUBLIC_TEST_KEYS: readonly PublicTestKey[] = [CDS_HOOKS_SANDBOX];

/** Same key material, whatever the kid, use or alg say. */
function sameKey(a: Record<string, unknown>, b: PublicTestKey['jwk']): boolean {
  if (a.kty !== b.kty) return false;
  if (b.kty === 'RSA') return a.n === b.n && a.e === b.e;
  return a.crv === b.crv && a.x === b.x && (b.y === undefined || a.y === b.y);
}

export interface PublicTestKeyUse {
  readonly iss: string;
  readonly key: string;
  /** How the client trusts it: a pinned key, or a URL that serves it. */
  readonly via: 'pinned key' | 'jwksUri' | 'jkuAllowlist';
}

/** Every place where a trusted client's keys are one of the public test keys. */
export function findPublicTestKeys(clients: readonly TrustedClient[]): PublicTestKeyUse[] {
  const uses: PublicTestKeyUse[] = [];
  for (const c of clients) {
    for (const known of PUBLIC_TEST_KEYS) {
      if (c.jwks?.keys.some((k) => sameKey(k as Record<string, unknown>, known.jwk))) uses.push({ iss: c.iss, key: known.name, via: 'pinned key' });
      if (c.jwksUri === known.jwksUrl) uses.push({ iss: c.iss, key: known.name, via: 'jwksUri' });
      if (c.jkuAllowlist?.includes(known.jwksUrl)) uses.push({ iss: c.iss, key: known.name, via: 'jkuAllowlist' });
    }
  }
  return uses;
}

/**
 * Production refuses to start when a trusted client's key is public; other
 * modes start, with a loud warning per use.
 */
export function guardPublicTestKeys(clients: readonly TrustedClient[], production: boolean, warn: (fields: object, message: string) => void): void {
  const uses = findPublicTestKeys(clients);
  if (uses.length === 0) return;
  if (production) {
    const lines = uses.map((u) => `  CDS_CLIENTS: client '${u.iss}' trusts the ${u.key}'s key (${u.via}); its private key is published, so anyone could sign as this client. Remove it in production (NODE_ENV=production).`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  for (const u of uses) {
    warn(
      { iss: u.iss, key: u.key, via: u.via },
      `PUBLIC TEST KEY TRUSTED: client '${u.iss}' uses the ${u.key}'s key, whose private key is published. Anyone can sign as this client: development and testing only, never with real patient data; production refuses to start with it.`,
    );
  }
}
