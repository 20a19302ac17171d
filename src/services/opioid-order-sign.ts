import { PATIENT_PREFETCH, type CdsService } from './service.js';

/** The definitive check when the prescriber signs: needs the active medication list. */
export const opioidOrderSign = {
  definition: {
    id: 'opioid-order-sign',
    hook: 'order-sign',
    title: 'Opioid prescribing check at signature',
    description:
      'At signature: CYP2D6-guided advice (CPIC 2021), total daily MME against CDC 2022 thresholds across all active opioid orders, ' +
      'naloxone, benzodiazepine and PDMP safeguards, and the justified-exception pathway.',
    prefetch: PATIENT_PREFETCH,
  },
  requiredPrefetch: [],
} as const satisfies CdsService;
