import { getSearchParameter } from '@medplum/core';
import type { Bundle } from 'fhir/r4';

/**
 * What a patient-scoped token (SMART `patient/...` scopes) may do on the demo
 * FHIR server: everything in its own patient's compartment, nothing in
 * another's. Searches of patient-compartment types are narrowed to the
 * token's patient whatever parameters they carry; instance reads and writes
 * must be of a resource that belongs to that patient.
 */
export interface ScopedRequest {
  readonly method: string;
  readonly resourceType: string | undefined;
  readonly id: string | undefined;
  /** Search parameters; narrowed in place. */
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/** Runs a search against the same store, e.g. `MedicationRequest?_id=x&patient=Patient/p`. */
export type Search = (relativeUrl: string) => Promise<Bundle | undefined>;

/** The search parameter that ties a resource type to a patient: `_id` for Patient, undefined for shared types (Practitioner, Medication...). */
export function patientLink(resourceType: string): '_id' | 'patient' | 'subject' | undefined {
  if (resourceType === 'Patient') return '_id';
  if (getSearchParameter(resourceType, 'patient')) return 'patient';
  if (getSearchParameter(resourceType, 'subject')?.target?.includes('Patient')) return 'subject';
  return undefined;
}

const startsWithAny = (key: string, prefixes: readonly string[]) => prefixes.some((p) => key === p || key.startsWith(`${p}:`));

/** 'ok' (the query may have been narrowed) or 'forbidden'. */
export async function applyPatientScope(patient: string, req: ScopedRequest, search: Search): Promise<'ok' | 'forbidden'> {
  const { resourceType, id, query } = req;
  // Batches, transactions and system-wide searches could reach any patient: not with a patient token.
  if (!resourceType || !/^[A-Z][A-Za-z]{1,63}$/.test(resourceType)) return 'forbidden';
  // Type-level history and operations ($everything, $lastn...) are not narrowed by a search parameter.
  if (id !== undefined && !/^[A-Za-z0-9.-]{1,64}$/.test(id)) return 'forbidden';
  const link = patientLink(resourceType);
  const own = `Patient/${patient}`;
  const keys = [...new Set(query.keys())];
  // Reverse includes and _has reach resources of other types, hence of other patients.
  if (keys.some((k) => startsWithAny(k, ['_revinclude', '_has']))) return 'forbidden';
  if (!link && keys.some((k) => startsWithAny(k, ['_include']))) return 'forbidden';

  if (id === undefined) {
    if (req.method === 'GET') {
      if (link === '_id') {
        if (query.getAll('_id').some((v) => v !== patient)) return 'forbidden';
        query.set('_id', patient);
      } else if (link) {
        query.append(link, own);
      }
      return 'ok';
    }
    // A create must be in the token's patient's compartment.
    if (req.method === 'POST' && link && link !== '_id') return bodyIsOwn(req.body, own) ? 'ok' : 'forbidden';
    return link ? 'forbidden' : 'ok';
  }

  if (link === '_id') return id === patient ? 'ok' : 'forbidden';
  if (!link) return 'ok';
  // An instance of a compartment type: it must be the patient's (when it exists), and a new version must stay so.
  if ((req.method === 'PUT' || req.method === 'POST') && !bodyIsOwn(req.body, own)) return 'forbidden';
  const params = new URLSearchParams({ _id: id, _count: '1' });
  const found = await search(`/${resourceType}?${params}`);
  if ((found?.entry?.length ?? 0) > 0) {
    params.set(link, own);
    const mine = await search(`/${resourceType}?${params}`);
    if ((mine?.entry?.length ?? 0) === 0) return 'forbidden';
  }
  return 'ok';
}

/** A resource body whose patient/subject references name only this patient (and at least one does). */
function bodyIsOwn(body: unknown, own: string): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const refs = ['patient', 'subject']
    .map((k) => (body as Record<string, unknown>)[k])
    .filter((v) => v !== undefined)
    .map((v) => (typeof v === 'object' && v !== null ? (v as { reference?: unknown }).reference : undefined));
  return refs.length > 0 && refs.every((r) => r === own);
}
