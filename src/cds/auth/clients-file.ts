import fs from 'node:fs';
import { z } from 'zod';

/**
 * The CDS_CLIENTS file: the CDS clients (EHRs) this service trusts, each with
 * its pinned public keys or a JWKS URL, an optional allowlist of `jku` URLs,
 * and an optional tenant allowlist.
 */
const jwk = z
  .object({ kty: z.string().min(1), kid: z.string().optional(), alg: z.string().optional() })
  .passthrough()
  .refine((k) => !('d' in k) && !('p' in k) && !('k' in k), 'contains private or symmetric key material: list public keys only');

const client = z
  .object({
    iss: z.string().min(1),
    label: z.string().optional(),
    jwks: z.object({ keys: z.array(jwk).min(1) }).strict().optional(),
    jwksUri: z.string().url().startsWith('https://', 'must be an https URL').optional(),
    jkuAllowlist: z.array(z.string().url().startsWith('https://', 'must be an https URL')).optional(),
    tenants: z.array(z.string().min(1)).optional(),
  })
  .strict()
  .refine((c) => c.jwks !== undefined || c.jwksUri !== undefined || (c.jkuAllowlist?.length ?? 0) > 0, 'needs jwks, jwksUri or jkuAllowlist');

const file = z.union([z.object({ clients: z.array(client) }).strict(), z.array(client)]);

export type TrustedClient = z.infer<typeof client>;

export class ClientsFileError extends Error {
  override readonly name = 'ClientsFileError';
}

export function parseTrustedClients(json: unknown, label: string): TrustedClient[] {
  const parsed = file.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${label} at ${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)'}: ${i.message}`);
    throw new ClientsFileError(`CDS_CLIENTS file is invalid:\n${lines.join('\n')}`);
  }
  const clients = Array.isArray(parsed.data) ? parsed.data : parsed.data.clients;
  const seen = new Set<string>();
  for (const [i, c] of clients.entries()) {
    if (seen.has(c.iss)) throw new ClientsFileError(`CDS_CLIENTS file is invalid:\n  ${label} at clients[${i}].iss: issuer '${c.iss}' is listed twice`);
    seen.add(c.iss);
  }
  return clients;
}

export function loadTrustedClients(path: string): TrustedClient[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new ClientsFileError(`CDS_CLIENTS file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ClientsFileError(`CDS_CLIENTS file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseTrustedClients(json, path);
}
