import { z } from 'zod';

/**
 * Every knowledge table in rules/knowledge/ is a JSON file with this envelope:
 * metadata that names its source and version, and a `data` payload whose shape
 * is declared by the clinical module that reads it. Cards cite `id@version`.
 */
export const knowledgeMetaSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case id with dashes'),
  version: z.string().min(1),
  title: z.string().min(1),
  source: z.string().min(1),
  url: z.string().url().optional(),
  notes: z.string().optional(),
});

export type KnowledgeMeta = z.infer<typeof knowledgeMetaSchema>;

export interface KnowledgeTable<T> {
  readonly meta: KnowledgeMeta;
  readonly data: T;
}

/** The loaded tables of a rule set, by id. */
export type KnowledgeTables = ReadonlyMap<string, KnowledgeTable<unknown>>;

/** Builds the zod schema of a whole table file from the schema of its payload. */
export function knowledgeTableSchema<T extends z.ZodType>(data: T) {
  return z.object({ meta: knowledgeMetaSchema, data });
}

/** `id@version`, the form in which cards and provenance cite a table. */
export function tableCitation(meta: KnowledgeMeta): string {
  return `${meta.id}@${meta.version}`;
}
