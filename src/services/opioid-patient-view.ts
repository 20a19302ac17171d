import { PATIENT_PREFETCH, type CdsService } from './service.js';

/** Chart-level summary when the record is opened. */
export const opioidPatientView = {
  definition: {
    id: 'opioid-patient-view',
    hook: 'patient-view',
    title: 'Pain management summary',
    description:
      'When a chart is opened: the CYP2D6 pharmacogenomic profile and which analgesics it affects, the current total daily MME, ' +
      'exceptions on file and overdue opioid safeguards.',
    prefetch: PATIENT_PREFETCH,
  },
  requiredPrefetch: [],
} as const satisfies CdsService;
