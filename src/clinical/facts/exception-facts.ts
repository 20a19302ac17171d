import type { ExceptionOnFile } from '../exceptions.js';
import { applicableException, describeException, exceptionsFromDetectedIssues } from '../exceptions.js';
import type { OverrideReasonTable } from '../override-reasons.js';
import type { PatientContext } from '../patient-context.js';

/** Exceptions on file from both sources (the service's store and DetectedIssues in prefetch), merged once per call. */
export function exceptionsOnFile(context: PatientContext, reasons: OverrideReasonTable): ExceptionOnFile[] {
  return [...context.storedExceptions, ...exceptionsFromDetectedIssues(context.detectedIssues, reasons, context.patientId)];
}

export function exceptionPatientFacts(exceptions: readonly ExceptionOnFile[], now: Date, current: { mmeTotal: number; cnsClasses: readonly string[] }): Record<string, unknown> {
  const mme = applicableException(exceptions, 'mme', { mmeTotal: current.mmeTotal }, now);
  const cns = applicableException(exceptions, 'cns-depressant', { cnsClasses: current.cnsClasses }, now);
  return {
    'exceptionOnFile.mme': mme !== undefined,
    'exceptionOnFile.mmeText': mme ? describeException(mme) : '',
    'exceptionOnFile.cnsDepressant': cns !== undefined,
    'exceptionOnFile.cnsDepressantText': cns ? describeException(cns) : '',
  };
}

/** When the PDMP was last reviewed according to overrides with a reason that records a review (a way to record it from the card). */
export function pdmpReviewedByOverride(exceptions: readonly ExceptionOnFile[], reasons: OverrideReasonTable): Date | undefined {
  const recording = new Set(reasons.reasons.filter((r) => r.recordsPdmpReview).map((r) => r.code));
  const times = exceptions.filter((e) => recording.has(e.reasonCode)).map((e) => e.createdAt.getTime());
  return times.length ? new Date(Math.max(...times)) : undefined;
}

/** A pharmacogenomic exception holds for the drug and the acting phenotype it was written for. */
export function exceptionOrderFacts(exceptions: readonly ExceptionOnFile[], now: Date, ingredient: string | null, phenotype: string | null): Record<string, unknown> {
  const pgx = ingredient ? applicableException(exceptions, 'pgx', { ingredient, ...(phenotype ? { phenotype } : {}) }, now) : undefined;
  return {
    'order.exceptionOnFile': pgx !== undefined,
    'order.exceptionText': pgx ? describeException(pgx) : '',
  };
}
