import type { Coding, FhirResource } from 'fhir/r4';

/**
 * CDS Hooks 2.0 shapes this service produces and consumes.
 * Spec: https://cds-hooks.hl7.org/2.0/ ; hook library v1.0.1.
 */
export type HookName = 'order-select' | 'order-sign' | 'patient-view';

/** https://cds-hooks.hl7.org/2.0/#discovery */
export interface ServiceDefinition {
  readonly id: string;
  readonly hook: HookName;
  readonly title: string;
  readonly description: string;
  readonly prefetch: Readonly<Record<string, string>>;
  readonly usageRequirements?: string;
}

/** https://cds-hooks.hl7.org/2.0/#fhir-resource-access */
export interface FhirAuthorization {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in?: number;
  readonly scope?: string;
  readonly subject?: string;
  readonly patient?: string;
}

/** A hook request after structural validation. */
export interface HookRequest {
  readonly hook: HookName;
  readonly hookInstance: string;
  readonly fhirServer?: string;
  readonly fhirAuthorization?: FhirAuthorization;
  readonly context: HookContext;
  readonly prefetch: Readonly<Record<string, unknown>>;
}

export interface HookContext {
  readonly userId: string;
  readonly patientId: string;
  readonly encounterId?: string;
  readonly selections?: readonly string[];
  readonly draftOrders?: readonly FhirResource[];
}

export type Indicator = 'info' | 'warning' | 'critical';

/** https://cds-hooks.hl7.org/2.0/#action */
export interface Action {
  type: 'create' | 'update' | 'delete';
  description: string;
  resource?: FhirResource;
  resourceId?: string;
}

/** https://cds-hooks.hl7.org/2.0/#suggestion */
export interface Suggestion {
  label: string;
  uuid: string;
  isRecommended?: boolean;
  actions?: Action[];
}

/** https://cds-hooks.hl7.org/2.0/#link */
export interface Link {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
}

/** https://cds-hooks.hl7.org/2.0/#source */
export interface Source {
  label: string;
  url?: string;
  icon?: string;
  topic?: Coding;
}

/** Machine-readable provenance carried by every card under `extension`. */
export interface CardProvenance {
  ruleId: string;
  ruleVersion: string;
  /** `id@version` of each knowledge table the card's numbers came from. */
  dataVersions: string[];
  /** Content hash of the served rule set (rules, parameters, knowledge tables, cards): tells apart sets edited without a version bump. */
  ruleSet?: string;
  /** What the card is about: the order (`MedicationRequest/draft-1`) for order-scope rules, else `patient`. */
  subject?: string;
  /** The computed values that made the rule fire (phenotype, total MME, ...). */
  values: Record<string, unknown>;
}

export const PROVENANCE_EXTENSION = 'pain-cds-provenance';

/** https://cds-hooks.hl7.org/2.0/#card-attributes */
export interface Card {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: Indicator;
  source: Source;
  suggestions?: Suggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: Coding[];
  links?: Link[];
  extension: { [PROVENANCE_EXTENSION]: CardProvenance };
}

export interface CdsResponse {
  cards: Card[];
}
