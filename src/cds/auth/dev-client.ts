import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { TrustedClient } from './clients-file.js';

/**
 * Local development mode: a CDS client key pair made once per machine and kept
 * in DATA_DIR (mode 0600). The service trusts only this key when CDS_CLIENTS is
 * not set; production never trusts it. Also the signer of the demo EHR and of
 * `npm run token`.
 */
export const DEV_ISSUER = 'urn:pain-cds:local-development-client';
const FILE = 'dev-client-key.json';

export interface DevClient {
  readonly iss: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly client: TrustedClient;
}

export async function ensureDevClient(dataDir: string): Promise<DevClient> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE);
  let stored: { kid: string; privateJwk: JWK; publicJwk: JWK } | undefined;
  if (fs.existsSync(file)) {
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new Error(`${file} is not a valid development key file; delete it to create a new one`);
    }
  } else {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const kid = `dev-${randomUUID().slice(0, 8)}`;
    stored = { kid, privateJwk: await exportJWK(privateKey), publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' } };
    fs.writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  }
  const privateKey = (await importJWK(stored!.privateJwk, 'ES384')) as CryptoKey;
  return { iss: DEV_ISSUER, kid: stored!.kid, privateKey, client: { iss: DEV_ISSUER, label: 'local development client', jwks: { keys: [stored!.publicJwk as never] } } };
}

export interface MintOptions {
  readonly privateKey: CryptoKey;
  readonly kid: string;
  readonly iss: string;
  readonly alg: 'ES384' | 'RS384';
  readonly audience: string;
  readonly lifetimeSeconds?: number;
  readonly jti?: string;
}

/** A CDS client token (the EHR side of the trust): short-lived, single-use jti. */
export async function mintClientToken(o: MintOptions): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: o.alg, kid: o.kid, typ: 'JWT' })
    .setIssuer(o.iss)
    .setAudience(o.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.lifetimeSeconds ?? 300))
    .setJti(o.jti ?? randomUUID())
    .sign(o.privateKey);
}
