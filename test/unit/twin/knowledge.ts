import fs from 'node:fs';
import path from 'node:path';
import { parseActivityValuesTable, parseInhibitorsTable, parsePhenotypesTable } from '../../../src/clinical/pgx/index.js';
import { parsePkModelsTable, runTwin, twinInputSchema, type TwinKnowledge } from '../../../src/clinical/twin/index.js';
import { REPO_ROOT } from '../../helpers/service.js';

const read = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'rules/knowledge', `${name}.json`), 'utf8'));

/** The twin's tables, parsed as the command parses them. */
export function twinKnowledge(): TwinKnowledge {
  const activity = parseActivityValuesTable(read('cyp2d6-activity-values'));
  const phenotypes = parsePhenotypesTable(read('cyp2d6-phenotypes'));
  const inhibitors = parseInhibitorsTable(read('cyp2d6-inhibitors'));
  return {
    pk: parsePkModelsTable(read('pk-models')),
    cyp2d6: { activity: activity.data, phenotypes: phenotypes.data, inhibitors: inhibitors.data },
    cyp2d6Meta: [activity.meta, phenotypes.meta, inhibitors.meta],
  };
}

export const K = twinKnowledge();

export function twin(request: Record<string, unknown>) {
  return runTwin(twinInputSchema.parse({ weightKg: 70, days: 1, intervalHours: 24, ...request }), K);
}
