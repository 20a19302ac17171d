import { PATIENT_PREFETCH, type CdsService } from './service.js';

/** Fires while an opioid (or any medication) order is being chosen and edited. */
export const opioidOrderSelect = {
  definition: {
    id: 'opioid-order-select',
    hook: 'order-select',
    title: 'Opioid prescribing: CYP2D6 and dose safety',
    description:
      'While a medication is selected: CYP2D6-guided advice for codeine, tramadol and hydrocodone (CPIC 2021), ' +
      'total daily morphine milligram equivalents with this order (CDC 2022), and co-prescribing safeguards.',
    prefetch: PATIENT_PREFETCH,
  },
  requiredPrefetch: [],
} as const satisfies CdsService;
