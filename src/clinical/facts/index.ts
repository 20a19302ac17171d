import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import type { FactSnapshot } from '../../knowledge/facts.js';
import type { PainKnowledge } from '../knowledge.js';
import { isActiveUse } from '../medication.js';
import type { PatientContext } from '../patient-context.js';
import { assessCyp2d6 } from '../pgx/index.js';
import { paediatricFacts } from '../pgx/paediatric.js';
import { applicableException } from '../exceptions.js';
import { dataAvailabilityFacts } from './data-facts.js';
import { goalPatientFacts } from './goal-facts.js';
import { nof1Facts } from './nof1-facts.js';
import { exceptionOrderFacts, exceptionPatientFacts, exceptionsOnFile, pdmpReviewedByOverride } from './exception-facts.js';
import { mmeOrderFacts, mmePatientFacts } from './mme-facts.js';
import { pgxPatientFacts } from './pgx-facts.js';
import { proPatientFacts } from './pro-facts.js';
import type { OrderFacts, PatientFacts } from './catalog.js';

/**
 * Every fact of one hook call, from its patient context: what the rules
 * compare and the cards show (the names and types are in catalog.ts). Pure:
 * no I/O, no rule engine. Each family of facts comes from its own module; a
 * new family is one more producer merged here.
 */
export function computePainFacts(context: PatientContext, k: PainKnowledge): FactSnapshot {
  const records: (MedicationRequest | MedicationStatement)[] = [...context.medicationRequests, ...context.medicationStatements];
  const active = records.filter(isActiveUse);
  const cyp2d6 = assessCyp2d6({ observations: context.observations, activeMedications: active, resolveMedication: context.resolveMedication }, k.cyp2d6);
  const exceptions = exceptionsOnFile(context, k.overrideReasons);
  const nof1 = nof1Facts(context, records, k); // N-of-1 trials: the trial's orders counted once (issue 22)
  const mme = mmePatientFacts(context, nof1.records, k, pdmpReviewedByOverride(context, k.overrideReasons));
  // Object.assign rather than spread: V8 copies these large records (50+ keys) an order of magnitude faster.
  // Each producer is typed against the catalog; together they compute every patient fact (checked by a test).
  const patient: PatientFacts = Object.assign(
    {} as PatientFacts,
    dataAvailabilityFacts(context),
    pgxPatientFacts(cyp2d6, k.cyp2d6),
    paediatricFacts(context, k.valueSets, k.paediatric),
    mme.facts,
    proPatientFacts(context, k.pro, { therapyDays: typeof mme.facts['therapy.opioidDays'] === 'number' ? mme.facts['therapy.opioidDays'] : null, hasOpioids: mme.facts['mme.hasOpioids'] === true }),
    exceptionPatientFacts(exceptions, context.now, { mmeTotal: mme.summary.total, mmeTotalKnown: mme.facts['mme.totalKnown'] === true, cnsClasses: stringList(mme.facts['cns.classes']), userId: context.userId }),
    goalPatientFacts(context, k, applicableException(exceptions, 'mme', { mmeTotal: mme.summary.total, mmeTotalKnown: mme.facts['mme.totalKnown'] === true }, context.now)),
    nof1.patient,
  );
  const orders = context.ordersUnderConsideration.map((order) => {
    const facts: OrderFacts = Object.assign({} as OrderFacts, mmeOrderFacts(order, mme.summary, context, k), nof1.order(order));
    Object.assign(facts, exceptionOrderFacts(exceptions, context.now, facts['order.ingredient'], patient['cyp2d6.riskPhenotype'], context.userId));
    return { ref: facts['order.ref'] ?? 'MedicationRequest/unidentified', facts };
  });
  return { patient, orders, dataVersions: [...cyp2d6.dataVersions, ...k.dataVersions.mme, ...k.pro.dataVersions, k.gas.version] };
}

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
