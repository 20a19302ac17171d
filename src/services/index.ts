import type { CdsService } from './service.js';
import { opioidOrderSelect } from './opioid-order-select.js';
import { opioidOrderSign } from './opioid-order-sign.js';
import { opioidPatientView } from './opioid-patient-view.js';

/** The registry: discovery and routing are generated from this list. */
export const services: readonly CdsService[] = [opioidOrderSelect, opioidOrderSign, opioidPatientView];

export function findService(id: string): CdsService | undefined {
  return services.find((s) => s.definition.id === id);
}
