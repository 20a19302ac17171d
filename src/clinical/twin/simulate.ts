import type { CompiledModel } from './models.js';
import { DEFAULT_STEP_HOURS, integrate, type Derivative } from './rk4.js';

/**
 * Multiple oral dosing of a parent-metabolite model, one compartment each:
 *   gut --ka--> parent (V) --CLf--> metabolite (Vm) --CLm-->
 *                      \--(CL - CLf)--> other routes
 * A fraction 1 - F of each dose never reaches the circulation; a fraction
 * 1 - fh of the metabolite formed is lost before reaching it. All amounts are in
 * mg of parent base equivalents, so the sum of every state and sink is the dose
 * (mass balance); metabolite concentrations are converted with the molar masses.
 */
export interface Regimen {
  /** mg of parent base per dose. */
  readonly baseDoseMg: number;
  readonly intervalHours: number;
  readonly durationHours: number;
  readonly stepHours?: number;
  readonly outputEveryHours?: number;
}

export interface Exposure {
  /** ng/mL (= µg/L). */
  readonly cmax: number;
  readonly tmaxHours: number;
  /** ng·h/mL over the last 24 hours of the simulation. */
  readonly auc24: number;
  /** ng·h/mL over each dosing interval, in order. */
  readonly aucByInterval: readonly number[];
}

export interface SimulationResult {
  readonly stepHours: number;
  readonly doseTimes: readonly number[];
  readonly timeHours: readonly number[];
  readonly parentSeries: readonly number[];
  readonly metaboliteSeries: readonly number[];
  readonly parent: Exposure;
  readonly metabolite: Exposure;
  readonly massBalance: { readonly dosedMg: number; readonly accountedMg: number; readonly relativeError: number; readonly amountsMg: Readonly<Record<string, number>> };
}

const GUT = 0, CENTRAL = 1, MET = 2, AUC_P = 3, AUC_M = 4, SINK_P = 5, SINK_PRE = 6, SINK_M = 7;
const STATES = 8;

function derivative(m: CompiledModel): Derivative {
  const kElim = m.parentClearance / m.parentVolume;
  const kForm = m.formationClearance / m.parentVolume;
  const kMet = m.metaboliteClearance / m.metaboliteVolume;
  const fh = m.fractionReachingCirculation;
  return (_t, y) => {
    const d = new Array<number>(STATES).fill(0);
    const absorbed = m.ka * y[GUT]!;
    const formed = kForm * y[CENTRAL]!;
    const metOut = kMet * y[MET]!;
    d[GUT] = -absorbed;
    d[CENTRAL] = absorbed - kElim * y[CENTRAL]!;
    d[MET] = fh * formed - metOut;
    d[AUC_P] = (y[CENTRAL]! / m.parentVolume) * 1000;
    d[AUC_M] = (y[MET]! / m.metaboliteVolume) * m.massRatio * 1000;
    d[SINK_P] = (kElim - kForm) * y[CENTRAL]!;
    d[SINK_PRE] = (1 - fh) * formed;
    d[SINK_M] = metOut;
    return d;
  };
}

/** Dose times 0, τ, 2τ, ... strictly before the end. */
export function doseTimes(intervalHours: number, durationHours: number): number[] {
  const out: number[] = [];
  for (let i = 0; i * intervalHours < durationHours - 1e-9; i++) out.push(i * intervalHours);
  return out;
}

export function simulate(model: CompiledModel, regimen: Regimen): SimulationResult {
  const h = regimen.stepHours ?? DEFAULT_STEP_HOURS;
  const every = regimen.outputEveryHours ?? 0.5;
  const end = regimen.durationHours;
  const f = derivative(model);
  const times = doseTimes(regimen.intervalHours, end);
  const concP = (y: readonly number[]) => (y[CENTRAL]! / model.parentVolume) * 1000;
  const concM = (y: readonly number[]) => (y[MET]! / model.metaboliteVolume) * model.massRatio * 1000;

  const timeHours: number[] = [0];
  const parentSeries: number[] = [0];
  const metaboliteSeries: number[] = [0];
  const peak = { p: 0, tp: 0, m: 0, tm: 0 };
  let nextOutput = every;
  const visit = (t: number, y: readonly number[]) => {
    const cp = concP(y), cm = concM(y);
    if (cp > peak.p) Object.assign(peak, { p: cp, tp: t });
    if (cm > peak.m) Object.assign(peak, { m: cm, tm: t });
    if (t >= nextOutput - h * 1e-6) {
      timeHours.push(round(t, 6));
      parentSeries.push(cp);
      metaboliteSeries.push(cm);
      nextOutput += every;
    }
  };

  let y = new Array<number>(STATES).fill(0);
  let notAbsorbed = 0;
  const aucAtDose: [number, number][] = [];
  let last24: [number, number] | undefined;
  const start24 = Math.max(0, end - 24);
  const boundaries = [...new Set([...times, end, start24])].sort((a, b) => a - b);
  for (let i = 0; i < boundaries.length; i++) {
    const t = boundaries[i]!;
    if (t === start24) last24 = [y[AUC_P]!, y[AUC_M]!];
    if (times.includes(t)) {
      aucAtDose.push([y[AUC_P]!, y[AUC_M]!]);
      y[GUT] = y[GUT]! + regimen.baseDoseMg * model.bioavailability;
      notAbsorbed += regimen.baseDoseMg * (1 - model.bioavailability);
    }
    const next = boundaries[i + 1];
    if (next !== undefined) y = integrate(f, y, t, next, h, visit);
  }
  aucAtDose.push([y[AUC_P]!, y[AUC_M]!]);

  const byInterval = (k: 0 | 1) => aucAtDose.slice(1).map((a, i) => a[k] - aucAtDose[i]![k]);
  const dosedMg = regimen.baseDoseMg * times.length;
  const amountsMg = {
    gut: y[GUT]!, parent: y[CENTRAL]!, metabolite: y[MET]!, notAbsorbed,
    parentOtherRoutes: y[SINK_P]!, metaboliteLostBeforeCirculation: y[SINK_PRE]!, metaboliteEliminated: y[SINK_M]!,
  };
  const accountedMg = Object.values(amountsMg).reduce((a, b) => a + b, 0);
  return {
    stepHours: h,
    doseTimes: times,
    timeHours,
    parentSeries,
    metaboliteSeries,
    parent: { cmax: peak.p, tmaxHours: round(peak.tp, 6), auc24: y[AUC_P]! - last24![0], aucByInterval: byInterval(0) },
    metabolite: { cmax: peak.m, tmaxHours: round(peak.tm, 6), auc24: y[AUC_M]! - last24![1], aucByInterval: byInterval(1) },
    massBalance: { dosedMg, accountedMg, relativeError: dosedMg > 0 ? Math.abs(accountedMg - dosedMg) / dosedMg : 0, amountsMg },
  };
}

/**
 * Steady state: the first dosing interval whose AUC differs from the previous
 * interval's by less than `tolerance` (relative), for every exposure given.
 */
export function steadyState(exposures: readonly Exposure[], doseTimesHours: readonly number[], intervalHours: number, durationHours: number, tolerance = 0.01): { reached: boolean; atHours?: number; criterion: string } {
  const criterion = `AUC over a dosing interval within ${tolerance * 100}% of the previous interval's`;
  // Only whole intervals are compared (the last one may be cut short by the end of the simulation).
  const whole = doseTimesHours.filter((t) => t + intervalHours <= durationHours + 1e-9).length;
  for (let i = 1; i < whole; i++) {
    const ok = exposures.every((e) => {
      const a = e.aucByInterval[i]!, b = e.aucByInterval[i - 1]!;
      return a === 0 ? b === 0 : Math.abs(a - b) / a < tolerance;
    });
    if (ok) return { reached: true, atHours: doseTimesHours[i]! + intervalHours, criterion };
  }
  return { reached: false, criterion };
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** `digits` significant figures (the output keeps what the model can say, not float noise). */
export function significant(v: number, digits = 6): number {
  return v === 0 || !Number.isFinite(v) ? v : Number(v.toPrecision(digits));
}
