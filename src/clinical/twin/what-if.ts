import type { MedicationRequest } from 'fhir/r4';
import { z } from 'zod';
import { tableCitation, type KnowledgeTable } from '../../knowledge/table.js';
import { identifyOpioid, orderMme, type MmeKnowledge } from '../mme/index.js';
import { analgesicImpact, type RecommendationTable } from '../pgx/index.js';
import { armExposureNote } from './exposure-note.js';
import { findModel, ILLUSTRATION_LABEL, runTwin, TwinInputError, type TwinKnowledge, type TwinOutput } from './run.js';
import { resolveCyp2d6 } from './cyp2d6.js';
import type { PkModel, PkModelTable } from './models.js';
import { significant } from './simulate.js';
import { regimenSentences } from './what-if-text.js';

/**
 * The what-if view's comparison (POST /app-api/twin/simulate): up to three
 * regimens for one patient, each simulated by the twin, with the normal-metabolizer
 * range on the same regimen, the reference ranges the sources give (or that they
 * give none), the regimen's MME per day (the project's MME functions), the CPIC
 * advice for the drug and phenotype, what the model does not cover about kidney and
 * liver function, and plain-language sentences. Pure: the tables are given.
 */
const cyp2d6Spec = z.union(
  [z.object({ activityScore: z.number().min(0).max(6) }).strict(), z.object({ diplotype: z.string().min(3).max(80) }).strict(), z.object({ phenotype: z.string().min(2).max(40) }).strict()],
  { error: 'must be one of {"activityScore": n}, {"diplotype": "*1/*4"} or {"phenotype": "PM"}' },
);

export const whatIfRequestSchema = z
  .object({
    patient: z
      .object({
        weightKg: z.number({ error: 'is required (kg): the models scale clearance and volume with weight' }).min(30, 'must be at least 30 kg (adult models)').max(250, 'must be at most 250 kg'),
        cyp2d6: cyp2d6Spec.optional(),
        inhibitors: z.array(z.string().min(1).max(80)).max(20).default([]),
        eGFR: z.number().min(0).max(200).optional(),
        liver: z.enum(['cirrhosis', 'none-recorded', 'unknown']).default('unknown'),
      })
      .strict(),
    regimens: z
      .array(
        z
          .object({
            label: z.string().min(1).max(120).optional(),
            drug: z.string().min(1).max(40),
            doseMg: z.number({ error: 'must be a number (mg of the salt on the tablet)' }).finite().positive('must be more than 0 mg'),
            intervalHours: z.number({ error: 'must be a number of hours' }).min(1, 'must be at least 1 hour').max(48, 'must be at most 48 hours'),
          })
          .strict(),
      )
      .min(1, 'give at least one regimen')
      .max(3, 'at most 3 regimens'),
    days: z.number().int().min(2).max(14).default(5),
  })
  .strict();

export type WhatIfRequest = z.infer<typeof whatIfRequestSchema>;

export interface WhatIfKnowledge extends TwinKnowledge {
  readonly mme: MmeKnowledge;
  readonly recommendations: KnowledgeTable<RecommendationTable>;
}

/** A draft MedicationRequest for the regimen (one tablet every interval), for the project's MME functions. */
function regimenOrder(model: PkModel, doseMg: number, intervalHours: number): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: 'what-if',
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/what-if' },
    medicationCodeableConcept: { text: model.productText.replace('{doseMg}', String(doseMg)) },
    dosageInstruction: [{ timing: { repeat: { frequency: 1, period: intervalHours, periodUnit: 'h' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }],
  };
}

function mmeOf(model: PkModel, doseMg: number, intervalHours: number, k: MmeKnowledge) {
  const order = regimenOrder(model, doseMg, intervalHours);
  const row = orderMme(order, true, identifyOpioid(order, undefined, k), k);
  if (!row) return { perDay: null, reason: 'not recognised as an opioid by the MME tables' };
  return { perDay: row.mme, dailyAmount: row.dailyAmount, factor: row.factor, factorSet: row.factorSet, ...(row.reason ? { reason: row.reason } : {}) };
}

/** Lowest and highest concentration over the last dosing interval (the steady-state swing). */
function lastInterval(out: TwinOutput, intervalHours: number): { low: number; high: number } {
  const end = out.series.timeHours.at(-1) ?? 0;
  const values = out.series.active.filter((_, i) => out.series.timeHours[i]! >= end - intervalHours - 1e-9);
  return { low: significant(Math.min(...values), 4), high: significant(Math.max(...values), 4) };
}

export function whatIf(request: WhatIfRequest, knowledge: WhatIfKnowledge) {
  const { patient } = request;
  // The phenotype to act on (after inhibitors) for the CPIC advice, drug-independent; throws Cyp2d6InputError on an unreadable result.
  const cyp = patient.cyp2d6 ? resolveCyp2d6(patient.cyp2d6, patient.inhibitors, knowledge.cyp2d6, knowledge.pk.data.cyp2d6) : undefined;
  const impacts = cyp ? analgesicImpact(cyp.phenotypeCode, knowledge.recommendations.data) : [];
  const regimens = request.regimens.map((r, index) => {
    try {
      return compareOne(r, index);
    } catch (e) {
      // Which regimen: the field of the request, e.g. regimens.1.doseMg.
      if (e instanceof TwinInputError) throw new TwinInputError(`regimens.${index}.${e.field}`, e.message.slice(e.field.length + 2));
      throw e;
    }
  });
  function compareOne(r: WhatIfRequest['regimens'][number], index: number) {
    const model = findModel(knowledge.pk.data, r.drug);
    const common = { drug: r.drug, doseMg: r.doseMg, intervalHours: r.intervalHours, days: request.days, weightKg: patient.weightKg, outputEveryHours: 0.5 };
    const out = runTwin({ ...common, inhibitors: patient.inhibitors, ...(patient.cyp2d6 ? { cyp2d6: patient.cyp2d6 } : {}) }, knowledge);
    const normal = runTwin({ ...common, inhibitors: [], cyp2d6: { activityScore: knowledge.pk.data.cyp2d6.referenceActivityScore } }, knowledge);
    const note = armExposureNote(r, { weightKg: patient.weightKg, inhibitors: patient.inhibitors, ...(patient.cyp2d6 ? { cyp2d6: patient.cyp2d6 } : {}) }, knowledge);
    const impact = impacts.find((i) => i.drug === model.drug);
    const cpic = !cyp
      ? { phenotype: null, affected: null, advice: 'No CYP2D6 result given: the CPIC advice for this drug depends on the phenotype, which is unknown here.' }
      : { phenotype: cyp.phenotype, affected: impact?.affected ?? null, advice: impact?.advice ?? `The CPIC table has no entry for ${model.drug}.` };
    const mme = mmeOf(model, r.doseMg, r.intervalHours, knowledge.mme);
    const normalRange = lastInterval(normal, r.intervalHours);
    return {
      index,
      label: r.label ?? `${model.drug} ${r.doseMg} mg every ${r.intervalHours} h`,
      drug: model.drug,
      doseMg: r.doseMg,
      intervalHours: r.intervalHours,
      doseForm: model.doseForm.name,
      model: out.model,
      parent: out.parent,
      active: out.active,
      steadyState: out.steadyState,
      cyp2d6: out.cyp2d6,
      effectiveActivityScore: out.effectiveActivityScore,
      series: out.series,
      normalMetabolizer: { auc24: normal.active.auc24, cmax: normal.active.cmax, steadyStateRange: normalRange, note: 'The same regimen and weight at the reference activity score with no inhibitor (this model), not a clinical target.' },
      referenceRanges: model.referenceRanges,
      exposure: { fractionOfNormal: note.fractionOfNormal, level: note.level, note: note.note, cutOffs: note.cutOffs },
      mme,
      cpic,
      kidney: { eGFR: patient.eGFR ?? null, applied: false, statement: model.renalHepatic.renal },
      liver: { status: patient.liver, applied: false, statement: model.renalHepatic.hepatic },
      renalHepaticSources: model.renalHepatic.sources.map((s) => knowledge.pk.data.sources[s] ?? s),
      summary: regimenSentences({ drug: model.drug, active: out.active.name, doseMg: r.doseMg, intervalHours: r.intervalHours, level: note.level, fraction: note.fractionOfNormal, mme: mme.perDay, inhibitors: cyp?.inhibitorsApplied.map((i) => i.name) ?? [], hasResult: Boolean(cyp) }),
      limitations: out.limitations,
      warnings: out.warnings,
    };
  }
  const versions = new Set<string>([tableCitation(knowledge.recommendations.meta), ...regimens.flatMap((r) => [`${tableCitation(knowledge.pk.meta)}#${r.model.id}@${r.model.version}`]), ...knowledge.cyp2d6Meta.map(tableCitation)]);
  return {
    label: ILLUSTRATION_LABEL,
    patient: {
      weightKg: patient.weightKg,
      cyp2d6: cyp ? { given: cyp.given, activityScore: cyp.activityScore, effectiveActivityScore: cyp.effectiveActivityScore, phenotype: cyp.phenotype, inhibitorsApplied: cyp.inhibitorsApplied, inhibitorsNotListed: cyp.inhibitorsNotListed, notes: cyp.notes } : null,
      inhibitors: patient.inhibitors,
      eGFR: patient.eGFR ?? null,
      liver: patient.liver,
    },
    days: request.days,
    regimens,
    kidneyAndLiver: 'None of the cited models has kidney or liver function as a covariate: eGFR and liver status are shown, never applied. Each regimen states what that leaves out.',
    modelVersions: [...versions],
  };
}

export type WhatIfOutput = ReturnType<typeof whatIf>;

/** What the app's what-if form needs of each model: the drug, its active moiety, the dose form and the label's example regimen. */
export function twinModelsForApp(table: PkModelTable) {
  return {
    label: ILLUSTRATION_LABEL,
    models: table.models.map((m) => ({
      drug: m.drug,
      parent: m.parent.name,
      active: m.metabolite?.name ?? m.parent.name,
      cyp2d6Dependent: Boolean(m.metabolite),
      doseForm: m.doseForm.name,
      exampleRegimen: m.exampleRegimen,
      doseLimits: { maxSingleMg: m.doseLimits.maxSingleMg, maxDailyMg: m.doseLimits.maxDailyMg },
    })),
  };
}
