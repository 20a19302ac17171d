/**
 * Classical fourth-order Runge–Kutta with a fixed step (h), for dy/dt = f(t, y).
 * Local error O(h^5), global O(h^4). The twin uses h = 0.01 h (36 s): for the fastest
 * rate constant in the model table (morphine absorption, 3.4 /h) h·k = 0.034, so the
 * relative global error is of the order of (h·k)^4 / 120 ≈ 1e-8 (tested against the
 * analytic solutions in test/unit/twin/rk4.test.ts).
 */
export type Derivative = (t: number, y: readonly number[]) => number[];

export const DEFAULT_STEP_HOURS = 0.01;

export function rk4Step(f: Derivative, t: number, y: readonly number[], h: number): number[] {
  const k1 = f(t, y);
  const k2 = f(t + h / 2, y.map((v, i) => v + (h / 2) * k1[i]!));
  const k3 = f(t + h / 2, y.map((v, i) => v + (h / 2) * k2[i]!));
  const k4 = f(t + h, y.map((v, i) => v + h * k3[i]!));
  return y.map((v, i) => v + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!));
}

/**
 * Integrates from t0 to t1 in steps of h (the last one shorter when t1 - t0 is not a
 * multiple of h), calling `visit` after every step with the time and state.
 */
export function integrate(f: Derivative, y0: readonly number[], t0: number, t1: number, h: number, visit?: (t: number, y: readonly number[]) => void): number[] {
  if (!(h > 0)) throw new Error('step must be positive');
  let y = [...y0];
  let t = t0;
  const eps = h * 1e-9;
  while (t < t1 - eps) {
    const step = Math.min(h, t1 - t);
    y = rk4Step(f, t, y, step);
    t = t + step > t1 - eps ? t1 : t + step;
    visit?.(t, y);
  }
  return y;
}
