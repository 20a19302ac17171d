import type { ExceptionOnFile } from '../exceptions.js';
import { applicableException, describeException, exceptionsFromDetectedIssues, pdmpReviewsDocumented } from '../exceptions.js';
import type { OverrideReasonTable } from '../override-reasons.js';
import type { OrderFacts, PatientFacts } from './catalog.js';
import type { PatientContext } from '../patient-context.js';

/** Exceptions on file from both sources (the service's store and DetectedIssues in prefetch), merged once per call. */
export function exceptionsOnFile(context: PatientContext, reasons: OverrideReasonTable): ExceptionOnFile[] {
  return [...context.storedExceptions, ...exceptionsFromDetectedIssues(context.detectedIssues, reasons, context.patientId, context.practitionerNames)];
}

export function exceptionPatientFacts(exceptions: readonly ExceptionOnFile[], now: Date, current: { mmeTotal: number; mmeTotalKnown: boolean; cnsClasses: readonly string[]; userId: string }): Partial<PatientFacts> {
  const mme = applicableException(exceptions, 'mme', { mmeTotal: current.mmeTotal, mmeTotalKnown: current.mmeTotalKnown }, now);
  const cns = applicableException(exceptions, 'cns-depressant', { cnsClasses: current.cnsClasses }, now);
  const mental = applicableException(exceptions, 'mental-health', {}, now);
  return {
    'exceptionOnFile.mme': mme !== undefined,
    'exceptionOnFile.mmeText': mme ? describeException(mme, current.userId) : '',
    'exceptionOnFile.cnsDepressant': cns !== undefined,
    'exceptionOnFile.cnsDepressantText': cns ? describeException(cns, current.userId) : '',
    'exceptionOnFile.mentalHealth': mental !== undefined,
    'exceptionOnFile.mentalHealthText': mental ? describeException(mental, current.userId) : '',
  };
}

/** When the PDMP was last reviewed as documented through this service (overrides and app justifications). */
export function pdmpReviewedByOverride(context: PatientContext, reasons: OverrideReasonTable): Date | undefined {
  return pdmpReviewsDocumented(context.storedExceptions, context.detectedIssues, reasons);
}

/** A pharmacogenomic exception holds for the drug and the acting phenotype it was written for. */
export function exceptionOrderFacts(exceptions: readonly ExceptionOnFile[], now: Date, ingredient: string | null, phenotype: string | null, userId: string): Partial<OrderFacts> {
  const pgx = ingredient ? applicableException(exceptions, 'pgx', { ingredient, ...(phenotype ? { phenotype } : {}) }, now) : undefined;
  return {
    'order.exceptionOnFile': pgx !== undefined,
    'order.exceptionText': pgx ? describeException(pgx, userId) : '',
  };
}
