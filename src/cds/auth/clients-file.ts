import fs from 'node:fs';
import { z } from 'zod';
import { jsonSyntaxMessage } from '../../knowledge/json-files.js';

/**
 * The CDS_CLIENTS file: the CDS clients (EHRs) this service trusts, each with
 * its pinned public keys or a JWKS URL, an optional allowlist of `jku` URLs,
 * and an optional tenant allowlist. Either `{"clients": [...]}` or the list itself.
 * Every problem is reported with the client it is in: `clients[1] (iss https://ehr.example): ...`.
 */
const jwk = z
  .object({ kty: z.string().min(1), kid: z.string().optional(), alg: z.string().optional() })
  .passthrough()
  .refine((k) => !('d' in k) && !('p' in k) && !('k' in k), 'contains private or symmetric key material: list public keys only');

const CLIENT_KEYS = ['iss', 'label', 'jwks', 'jwksUri', 'jkuAllowlist', 'tenants'] as const;
const JWKS_KEYS = ['keys'] as const;

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

export type TrustedClient = z.infer<typeof client>;

export class ClientsFileError extends Error {
  override readonly name = 'ClientsFileError';
}

/** Validates the parsed file; `label` (the file's path) heads the error message. */
export function parseTrustedClients(json: unknown, label: string): TrustedClient[] {
  const fail = (lines: readonly string[]): never => {
    throw new ClientsFileError(`CDS_CLIENTS file ${label} is invalid:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  };
  const list = clientList(json, fail);
  if (list.length === 0) fail(['clients: the list is empty; add at least one trusted client (or unset CDS_CLIENTS for local development)']);
  const problems: string[] = [];
  const clients: TrustedClient[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of list.entries()) {
    const where = clientName(entry, i);
    const parsed = client.safeParse(entry);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.flatMap((issue) => issueLines(issue).map((line) => `${where}${line}`)));
      continue;
    }
    if (seen.has(parsed.data.iss)) problems.push(`clients[${i}].iss: issuer '${parsed.data.iss}' is listed twice`);
    seen.add(parsed.data.iss);
    clients.push(parsed.data);
  }
  if (problems.length > 0) fail(problems);
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
    throw new ClientsFileError(`CDS_CLIENTS file ${path} is not valid JSON: ${jsonSyntaxMessage(e as Error, text)}`);
  }
  return parseTrustedClients(json, path);
}

/** The list of client entries: the file is `{"clients": [...]}` or the list itself. */
function clientList(json: unknown, fail: (lines: readonly string[]) => never): unknown[] {
  if (Array.isArray(json)) return json;
  if (typeof json !== 'object' || json === null) return fail(['(root): must be {"clients": [...]} or a list of clients']);
  const unknown = Object.keys(json).filter((k) => k !== 'clients');
  if (unknown.length > 0) return fail(unknown.map((k) => `(root): ${unknownKey(k, ['clients'])}`));
  const clients = (json as { clients?: unknown }).clients;
  if (clients === undefined) return fail(['(root): needs "clients": [...]']);
  if (!Array.isArray(clients)) return fail(['clients: must be a list of clients']);
  return clients;
}

/** `clients[1] (iss https://ehr.example)`, or `clients[1]` when the entry has no usable iss. */
function clientName(entry: unknown, index: number): string {
  const iss = typeof entry === 'object' && entry !== null ? (entry as { iss?: unknown }).iss : undefined;
  return typeof iss === 'string' && iss.length > 0 ? `clients[${index}] (iss ${iss})` : `clients[${index}]`;
}

/** One zod issue inside a client entry: ` at jwks.keys[0]: message`, or `: message` for the entry itself (one line per unknown key). */
function issueLines(issue: z.core.$ZodIssue): string[] {
  const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const prefix = at ? ` at ${at}: ` : ': ';
  if (issue.code === 'unrecognized_keys') {
    const known = at === '' ? CLIENT_KEYS : at === 'jwks' ? JWKS_KEYS : [];
    return issue.keys.map((k) => `${prefix}${unknownKey(k, known)}`);
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return [`${prefix}is required`];
  return [`${prefix}${issue.message}`];
}

/** "unknown key 'jwks_uri'; did you mean 'jwksUri'?" (the suggestion only when one is close). */
function unknownKey(key: string, known: readonly string[]): string {
  const close = closest(key, known);
  return close ? `unknown key '${key}'; did you mean '${close}'?` : `unknown key '${key}'${known.length > 0 ? ` (known keys: ${known.join(', ')})` : ''}`;
}

/** The known key that differs from `key` only by case, '_' or '-', or by at most two edits. */
function closest(key: string, known: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const same = known.find((k) => fold(k) === fold(key));
  if (same) return same;
  let best: { key: string; distance: number } | undefined;
  for (const k of known) {
    const d = editDistance(fold(k), fold(key));
    if (d <= 2 && (!best || d < best.distance)) best = { key: k, distance: d };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
