import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { cardTemplate, namedConditionsFile, ruleFile } from '../rules/schemas.js';
import { scenarioSchema } from '../pipeline/scenarios/scenario.js';

/**
 * `npm run rules:schema`: writes the JSON Schemas of the editable formats to
 * rules/schema/, generated from the same zod schemas the loader validates
 * with, so an editor's checks and the service's can never disagree.
 * Files point at them with "$schema": "./schema/rule.schema.json" (or ../).
 */
const outDir = path.resolve(process.argv[2] ?? 'rules/schema');
fs.mkdirSync(outDir, { recursive: true });
const schemas: Record<string, z.ZodType> = {
  'rule.schema.json': ruleFile,
  'named-conditions.schema.json': namedConditionsFile,
  'card-template.schema.json': cardTemplate,
  'scenario.schema.json': scenarioSchema,
};
for (const [name, schema] of Object.entries(schemas)) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', cycles: 'ref', reused: 'inline' });
  fs.writeFileSync(path.join(outDir, name), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, name))}`);
}
