import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClientAuthError, createClientTrust } from '../../../src/cds/auth/client-trust.js';
import { loadTrustedClients } from '../../../src/cds/auth/clients-file.js';
import { CDS_HOOKS_SANDBOX, findPublicTestKeys, guardPublicTestKeys } from '../../../src/cds/auth/public-test-keys.js';
import { ConfigError } from '../../../src/config.js';
import { createTestClient, type TestClient } from '../../helpers/client.js';
import { REPO_ROOT } from '../../helpers/service.js';

/**
 * Pinned keys win over jku: EHRs such as the CDS Hooks Sandbox put a jku in
 * every token. With the issuer's keys pinned, the pinned key is used by kid
 * and a jku that is not allowlisted is ignored and never fetched.
 */
const AUD = 'https://cds.example/cds-services/opioid-order-select';

/** A real JWKS server on 127.0.0.1 that counts every request it gets. */
let jwksServer: http.Server;
let jwksUrl: string;
let requests = 0;
let served: unknown = { keys: [] };

beforeAll(async () => {
  jwksServer = http.createServer((_req, res) => {
    requests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(served));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

/** The same default fetch the service uses, minus the https rule the clients file enforces (the local server is http). */
const realFetch = async (url: string) => (await fetch(url)).json();

function sandboxLikeToken(c: TestClient, header: { jku?: string; kid?: string } = {}) {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: header.kid ?? c.kid, ...(header.jku ? { jku: header.jku } : {}) })
    .setIssuer(c.iss)
    .setAudience(AUD)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .setJti(crypto.randomUUID())
    .sign(c.privateKey);
}

describe('pinned keys and a jku header', () => {
  test('an ES384 token with a foreign jku and a pinned kid is accepted, and the jku is never fetched', async () => {
    const c = await createTestClient('ES384', 'https://sandbox.example');
    served = { keys: [c.publicJwk] };
    const before = requests;
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] } }], fetchJwks: realFetch });
    const token = await sandboxLikeToken(c, { jku: jwksUrl });
    await expect(trust.verify(`Bearer ${token}`, AUD)).resolves.toMatchObject({ iss: c.iss, kid: c.kid });
    expect(requests - before).toBe(0);
  });

  test('a token whose kid is not pinned is refused, even when its jku would serve the key', async () => {
    const pinnedKey = await createTestClient('ES384', 'https://sandbox.example');
    const other = await createTestClient('ES384', 'https://sandbox.example');
    served = { keys: [other.publicJwk] };
    const before = requests;
    const trust = createClientTrust({ clients: [{ iss: pinnedKey.iss, jwks: { keys: [pinnedKey.publicJwk] } }], fetchJwks: realFetch });
    const withJku = trust.verify(`Bearer ${await sandboxLikeToken(other, { jku: jwksUrl })}`, AUD);
    await expect(withJku).rejects.toThrow(ClientAuthError);
    await expect(withJku).rejects.toThrow('not one of the pinned keys');
    await expect(trust.verify(`Bearer ${await sandboxLikeToken(other)}`, AUD)).rejects.toThrow('not one of the pinned keys');
    expect(requests - before).toBe(0);
  });

  test('a pinned kid with a signature from another key is refused', async () => {
    const pinnedKey = await createTestClient('ES384', 'https://sandbox.example');
    const forger = await createTestClient('ES384', 'https://sandbox.example');
    const trust = createClientTrust({ clients: [{ iss: pinnedKey.iss, jwks: { keys: [pinnedKey.publicJwk] } }], fetchJwks: realFetch });
    await expect(trust.verify(`Bearer ${await sandboxLikeToken(forger, { kid: pinnedKey.kid, jku: jwksUrl })}`, AUD)).rejects.toThrow('signature');
  });

  test('an allowlisted jku still works as before: fetched from the real server and used', async () => {
    const c = await createTestClient('ES384', 'https://ehr.example');
    served = { keys: [c.publicJwk] };
    const before = requests;
    const trust = createClientTrust({ clients: [{ iss: c.iss, jkuAllowlist: [jwksUrl] }], fetchJwks: realFetch });
    await expect(trust.verify(`Bearer ${await sandboxLikeToken(c, { jku: jwksUrl })}`, AUD)).resolves.toMatchObject({ iss: c.iss });
    expect(requests - before).toBe(1);
  });

  test('with pinned keys and an allowlisted jku, a kid missing from the pinned keys is looked up at the jku (key rotation)', async () => {
    const pinnedKey = await createTestClient('ES384', 'https://ehr.example');
    const rotated = await createTestClient('ES384', 'https://ehr.example');
    served = { keys: [rotated.publicJwk] };
    const before = requests;
    const trust = createClientTrust({ clients: [{ iss: pinnedKey.iss, jwks: { keys: [pinnedKey.publicJwk] }, jkuAllowlist: [jwksUrl] }], fetchJwks: realFetch });
    await expect(trust.verify(`Bearer ${await sandboxLikeToken(pinnedKey, { jku: jwksUrl })}`, AUD)).resolves.toMatchObject({ kid: pinnedKey.kid });
    expect(requests - before).toBe(0);
    await expect(trust.verify(`Bearer ${await sandboxLikeToken(rotated, { jku: jwksUrl })}`, AUD)).resolves.toMatchObject({ kid: rotated.kid });
    expect(requests - before).toBe(1);
  });

  test('a refusal carries what an integrator needs to fix their side, and never the token', async () => {
    const c = await createTestClient('ES384', 'https://sandbox.example');
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] } }] });
    const token = await c.token('https://cds.example/cds-services/wrong');
    const error = await trust.verify(`Bearer ${token}`, AUD).then(
      () => undefined,
      (e: unknown) => e as ClientAuthError,
    );
    expect(error).toBeInstanceOf(ClientAuthError);
    if (!error) return;
    expect(error.message).toBe('audience mismatch');
    expect(error.detail).toEqual({ iss: c.iss, kid: c.kid, alg: 'ES384', aud: 'https://cds.example/cds-services/wrong', expectedAud: AUD });
    expect(JSON.stringify(error.detail)).not.toContain(token.split('.')[2]);
  });
});

describe('the CDS Hooks Sandbox entry', () => {
  const file = path.join(REPO_ROOT, 'config', 'clients', 'cds-hooks-sandbox.json');

  test('is a valid CDS_CLIENTS file by itself, pinning the sandbox issuer and ES384 key', () => {
    const clients = loadTrustedClients(file);
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({ iss: 'https://sandbox.cds-hooks.org', jwks: { keys: [{ kty: 'EC', crv: 'P-384', alg: 'ES384', kid: CDS_HOOKS_SANDBOX.jwk.kid }] } });
    expect(findPublicTestKeys(clients)).toEqual([{ iss: 'https://sandbox.cds-hooks.org', key: 'CDS Hooks Sandbox', via: 'pinned key' }]);
  });

  test('production refuses it with a clear message; other modes warn loudly', () => {
    const clients = loadTrustedClients(file);
    expect(() => guardPublicTestKeys(clients, true, () => undefined)).toThrow(ConfigError);
    expect(() => guardPublicTestKeys(clients, true, () => undefined)).toThrow(/sandbox\.cds-hooks\.org.*private key is published.*production/);
    const warnings: string[] = [];
    guardPublicTestKeys(clients, false, (_f, message) => warnings.push(message));
    expect(warnings).toEqual([expect.stringMatching(/^PUBLIC TEST KEY TRUSTED/)]);
  });

  test('the key material is what counts: renamed, under another issuer and kid, it is still refused in production', () => {
    const { x, y, crv, kty } = CDS_HOOKS_SANDBOX.jwk;
    const disguised = [{ iss: 'https://our-ehr.example', jwks: { keys: [{ kty, crv, x, y, kid: 'prod-key-1' }] } }];
    expect(() => guardPublicTestKeys(disguised, true, () => undefined)).toThrow(/our-ehr\.example/);
    const byUrl = [{ iss: 'https://our-ehr.example', jkuAllowlist: [CDS_HOOKS_SANDBOX.jwksUrl] }];
    expect(() => guardPublicTestKeys(byUrl, true, () => undefined)).toThrow(/jkuAllowlist/);
  });

  test('every token of a client that trusts a public test key is marked, for the request log', async () => {
    const c = await createTestClient('ES384', 'https://dev-ehr.example');
    const trust = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] }, jkuAllowlist: [CDS_HOOKS_SANDBOX.jwksUrl] }] });
    await expect(trust.verify(`Bearer ${await c.token(AUD)}`, AUD)).resolves.toMatchObject({ iss: c.iss, publicTestKey: 'CDS Hooks Sandbox' });
    const ordinary = createClientTrust({ clients: [{ iss: c.iss, jwks: { keys: [c.publicJwk] } }] });
    expect(await ordinary.verify(`Bearer ${await c.token(AUD)}`, AUD)).not.toHaveProperty('publicTestKey');
  });

  test('an ordinary client key passes the guard', async () => {
    const c = await createTestClient('ES384');
    expect(() => guardPublicTestKeys([{ iss: c.iss, jwks: { keys: [c.publicJwk] } }], true, () => undefined)).not.toThrow();
  });
});
