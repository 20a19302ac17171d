import { formatProblems, type FileProblem } from '../knowledge/problems.js';

/** A rule set that cannot be served, with every problem found (file, JSON path, message). */
export class RuleSetError extends Error {
  override readonly name = 'RuleSetError';
  constructor(readonly problems: readonly FileProblem[]) {
    super(`The rule set has ${problems.length} problem(s):\n${formatProblems(problems)}`);
  }
}
