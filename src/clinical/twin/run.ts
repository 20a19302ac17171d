import { tableCitation, type KnowledgeMeta, type KnowledgeTable } from '../../knowledge/table.js';
import { resolveCyp2d6, type Cyp2d6Tables, type EffectiveCyp2d6 } from './cyp2d6.js';
import type { TwinInput } from './input.js';
import { compileModel, formationMultiplier, type PkModel, type PkModelTable } from './models.js';
import { round, significant, simulate, steadyState, type Exposure } from './simulate.js';

export const ILLUSTRATION_LABEL =
  'Illustration for discussion, not a dosing tool: typical-patient curves from published study means, without between-patient variability; do not choose or change a dose from it.';

export class TwinInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

export interface TwinKnowledge {
  readonly pk: KnowledgeTable<PkModelTable>;
  readonly cyp2d6: Cyp2d6Tables;
  readonly cyp2d6Meta: readonly KnowledgeMeta[];
}

export function findModel(table: PkModelTable, drug: string): PkModel {
  const model = table.models.find((m) => m.drug === drug.trim().toLowerCase());
  if (!model) throw new TwinInputError('drug', `unknown drug "${drug}"; the twin has models for ${table.models.map((m) => m.drug).join(', ')}`);
  return model;
}

const exposure = (name: string, e: Exposure, role: string) => ({
  name,
  role,
  unit: 'ng/mL',
  auc24: significant(e.auc24),
  auc24Unit: 'ng·h/mL (last 24 hours)',
  aucTotal: significant(e.aucByInterval.reduce((a, b) => a + b, 0)),
  aucTotalUnit: 'ng·h/mL (whole simulation)',
  cmax: significant(e.cmax),
  tmaxHours: e.tmaxHours,
});

/** The whole what-if for one request: pure, the tables are given. */
export function runTwin(input: TwinInput, knowledge: TwinKnowledge) {
  const table = knowledge.pk.data;
  const model = findModel(table, input.drug);
  const perDay = (input.doseMg * 24) / input.intervalHours;
  if (input.doseMg > model.doseLimits.maxSingleMg) throw new TwinInputError('doseMg', `${input.doseMg} mg is above the ${model.doseLimits.maxSingleMg} mg single dose this illustration accepts for ${model.drug} (${model.doseLimits.source})`);
  if (perDay > model.doseLimits.maxDailyMg + 1e-9) throw new TwinInputError('intervalHours', `${input.doseMg} mg every ${input.intervalHours} h is ${round(perDay, 1)} mg a day, above ${model.doseLimits.maxDailyMg} mg (${model.doseLimits.source})`);

  const cyp: EffectiveCyp2d6 | undefined = model.metabolite ? resolveCyp2d6(input.cyp2d6, input.inhibitors, knowledge.cyp2d6, table.cyp2d6) : undefined;
  const multiplier = cyp && model.metabolite ? formationMultiplier(cyp.effectiveActivityScore, model.metabolite.residualAtScore0.value, table.cyp2d6.referenceActivityScore) : 1;
  const compiled = compileModel(model, input.weightKg, multiplier);
  const baseDoseMg = input.doseMg * model.doseForm.baseFraction.value;
  const durationHours = input.days * 24;
  const sim = simulate(compiled, { baseDoseMg, intervalHours: input.intervalHours, durationHours, outputEveryHours: input.outputEveryHours });
  const activeExposure = model.metabolite ? sim.metabolite : sim.parent;
  const ss = steadyState(model.metabolite ? [sim.parent, sim.metabolite] : [sim.parent], sim.doseTimes, input.intervalHours, durationHours);

  const warnings: string[] = [];
  if (input.eGFR !== undefined) warnings.push(`eGFR ${input.eGFR} was given but is not applied: no cited ${model.drug} model has renal function as a covariate. ${model.renalHepatic.renal}`);
  if (input.hepaticImpairment !== undefined && input.hepaticImpairment !== 'none') warnings.push(`Hepatic impairment (${input.hepaticImpairment}) was given but is not applied: no cited ${model.drug} model has liver function as a covariate. ${model.renalHepatic.hepatic}`);
  const studied = table.studiedWeightKg;
  if (input.weightKg < studied.low || input.weightKg > studied.high) warnings.push(`Weight ${input.weightKg} kg is outside the usual range of the source studies' adults; linear per-kg scaling is extrapolated.`);
  if (!model.metabolite && (input.cyp2d6 || input.inhibitors.length > 0)) warnings.push(`${model.drug} is modelled as CYP2D6-independent: the CYP2D6 result and inhibitors do not change it.`);
  if (!ss.reached) warnings.push('Steady state was not reached within the simulated days.');

  return {
    label: ILLUSTRATION_LABEL,
    drug: model.drug,
    model: { id: model.id, version: model.version, title: model.title },
    modelVersions: [`${tableCitation(knowledge.pk.meta)}#${model.id}@${model.version}`, ...knowledge.cyp2d6Meta.map(tableCitation)],
    regimen: { doseMg: input.doseMg, doseForm: model.doseForm.name, baseDoseMg: round(baseDoseMg, 3), intervalHours: input.intervalHours, days: input.days, doses: sim.doseTimes.length },
    patient: { weightKg: input.weightKg, ...(input.eGFR !== undefined ? { eGFR: input.eGFR } : {}), ...(input.hepaticImpairment ? { hepaticImpairment: input.hepaticImpairment } : {}) },
    cyp2d6: cyp
      ? { ...cyp, effectiveActivityScore: cyp.effectiveActivityScore, formationMultiplier: round(multiplier, 4) }
      : { applies: false, note: `${model.drug} is modelled as CYP2D6-independent` },
    effectiveActivityScore: cyp ? cyp.effectiveActivityScore : null,
    parent: exposure(model.parent.name, sim.parent, model.metabolite ? 'parent drug' : 'parent drug, itself the active drug'),
    active: exposure(model.metabolite?.name ?? model.parent.name, activeExposure, model.metabolite ? `active metabolite (formed by CYP2D6 from ${model.parent.name})` : 'the parent drug itself'),
    steadyState: ss,
    massBalance: { dosedMg: round(sim.massBalance.dosedMg, 6), accountedMg: round(sim.massBalance.accountedMg, 6), relativeError: sim.massBalance.relativeError },
    solver: { method: 'classical 4th-order Runge–Kutta, fixed step', stepHours: sim.stepHours },
    series: {
      timeHours: sim.timeHours,
      parent: sim.parentSeries.map((v) => significant(v, 5)),
      active: (model.metabolite ? sim.metaboliteSeries : sim.parentSeries).map((v) => significant(v, 5)),
    },
    referenceRanges: model.referenceRanges,
    renalHepatic: model.renalHepatic,
    limitations: model.limitations,
    warnings,
  };
}

export type TwinOutput = ReturnType<typeof runTwin>;
