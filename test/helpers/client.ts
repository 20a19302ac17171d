import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** A CDS client (the EHR side) with its own key pair, as the tests' stand-in for a real EHR. */
export interface TestClient {
  readonly iss: string;
  readonly kid: string;
  readonly alg: 'ES384' | 'RS384';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK & { kty: string };
  token(audience: string, overrides?: TokenOverrides): Promise<string>;
}

export interface TokenOverrides {
  readonly iat?: number;
  readonly exp?: number;
  readonly jti?: string;
  readonly iss?: string;
  readonly kid?: string;
  readonly extraClaims?: Record<string, unknown>;
  /** More protected-header fields, e.g. a `jku` as the CDS Hooks Sandbox sends. */
  readonly header?: Record<string, unknown>;
}

export async function createTestClient(alg: 'ES384' | 'RS384' = 'ES384', iss = `https://ehr.test/${alg.toLowerCase()}`): Promise<TestClient> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `key-${randomUUID().slice(0, 8)}`;
  const exported = await exportJWK(publicKey);
  const publicJwk = { ...exported, kty: exported.kty ?? alg.slice(0, 2), kid, alg, use: 'sig' };
  return {
    iss,
    kid,
    alg,
    privateKey,
    publicJwk,
    async token(audience, o = {}) {
      const now = Math.floor(Date.now() / 1000);
      const iat = o.iat ?? now;
      return new SignJWT({ ...(o.extraClaims ?? {}) })
        .setProtectedHeader({ alg, kid: o.kid ?? kid, typ: 'JWT', ...(o.header ?? {}) })
        .setIssuer(o.iss ?? iss)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(o.exp ?? iat + 120)
        .setJti(o.jti ?? randomUUID())
        .sign(privateKey);
    },
  };
}
