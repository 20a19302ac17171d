import type { PainKnowledge } from '../../clinical/knowledge.js';
import type { RuleRuntime } from '../../rules/runtime.js';
import type { Store } from '../../store/store.js';
import type { FileProblem } from '../../knowledge/problems.js';
import { loadScenarios, runScenario } from './scenario.js';

/**
 * The rule scenarios (rules/tests/) as the gate of a reload: a candidate rule
 * set is swapped in only when every scenario passes against it, so an edit
 * that breaks an expected card never reaches a prescriber. Each failure is a
 * problem naming the scenario file and the scenario.
 */
export function scenarioGate(testsDir: string, scratchStore: () => Store): (candidate: RuleRuntime<PainKnowledge>) => Promise<FileProblem[]> {
  return async (candidate) => {
    const { scenarios, problems } = loadScenarios(testsDir);
    if (problems.length > 0) return problems;
    const store = scratchStore();
    try {
      const failed: FileProblem[] = [];
      for (const loaded of scenarios) {
        const result = await runScenario(loaded, candidate, store);
        if (!result.passed) failed.push({ file: loaded.file, path: `scenario "${loaded.scenario.name}"`, message: result.failures.join('; ') });
      }
      return failed;
    } finally {
      await store.close();
    }
  };
}
