import type { FhirResource } from 'fhir/r4';
import { z } from 'zod';
import { invalidRequest } from './outcome.js';
import type { HookName, HookRequest } from './types.js';

/**
 * Structural, lenient validation of a hook request: the fields this service
 * relies on must be there with the right types; unknown fields and `extension`
 * are ignored (zod strips them), Bundles without `type` are accepted.
 * Spec: https://cds-hooks.hl7.org/2.0/#http-request_1
 */
const reference = z.string().min(1).max(512);

const resource = z
  .object({ resourceType: z.string().regex(/^[A-Z][A-Za-z]{1,63}$/, 'must be a FHIR resource type') })
  .passthrough();

const bundle = z.object({
  resourceType: z.literal('Bundle'),
  type: z.string().optional(),
  entry: z.array(z.object({ resource: resource.optional() }).passthrough()).max(1000).optional(),
});

const fhirAuthorization = z.object({
  access_token: z.string().min(1).max(16_384),
  token_type: z.string().min(1).max(64),
  expires_in: z.number().optional(),
  scope: z.string().max(4096).optional(),
  subject: z.string().max(512).optional(),
  patient: z.string().max(512).optional(),
});

const baseContext = z.object({
  userId: reference,
  patientId: z.string().min(1).max(256),
  encounterId: z.string().min(1).max(256).optional(),
});

const contextByHook = {
  'patient-view': baseContext,
  'order-select': baseContext.extend({ selections: z.array(reference).max(200), draftOrders: bundle }),
  'order-sign': baseContext.extend({ draftOrders: bundle }),
} as const satisfies Record<HookName, z.ZodType>;

const envelope = z.object({
  hook: z.string().min(1).max(128),
  hookInstance: z.string().min(1).max(256),
  fhirServer: z.string().url().max(2048).optional(),
  fhirAuthorization: fhirAuthorization.nullable().optional(),
  context: z.record(z.string(), z.unknown()),
  prefetch: z.record(z.string(), z.unknown()).nullable().optional(),
});

export function parseHookRequest(body: unknown, expectedHook: HookName): HookRequest {
  const env = envelope.safeParse(body);
  if (!env.success) throw invalidRequest(zodProblems(env.error));
  if (env.data.hook !== expectedHook) {
    throw invalidRequest([{ path: 'hook', message: `this service answers '${expectedHook}', not '${env.data.hook}'` }]);
  }
  const ctx = contextByHook[expectedHook].safeParse(env.data.context);
  if (!ctx.success) throw invalidRequest(zodProblems(ctx.error, 'context'));
  const parsed = ctx.data as z.infer<typeof baseContext> & { selections?: string[]; draftOrders?: z.infer<typeof bundle> };
  const draftOrders = parsed.draftOrders ? bundleResources(parsed.draftOrders) : undefined;
  const selections = parsed.selections;
  return {
    hook: expectedHook,
    hookInstance: env.data.hookInstance,
    fhirServer: env.data.fhirServer?.replace(/\/+$/, ''),
    fhirAuthorization: env.data.fhirAuthorization ?? undefined,
    context: {
      userId: parsed.userId,
      patientId: parsed.patientId,
      encounterId: parsed.encounterId,
      selections,
      draftOrders,
    },
    prefetch: env.data.prefetch ?? {},
  };
}

function bundleResources(b: z.infer<typeof bundle>): FhirResource[] {
  return (b.entry ?? []).flatMap((e) => (e.resource ? [e.resource as unknown as FhirResource] : []));
}

export function zodProblems(error: z.ZodError, prefix?: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}
