/** A problem found in a rule, template, table or configuration file: which file, where inside it, what is wrong. */
export interface FileProblem {
  readonly file: string;
  /** JSON path inside the file, like `rules[2].conditions.all[0].fact`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

export function formatProblems(problems: readonly FileProblem[]): string {
  return problems.map((p) => `${p.file}${p.path ? ` at ${p.path}` : ''}: ${p.message}`).join('\n');
}

/** `['rules', 2, 'conditions']` -> `rules[2].conditions` */
export function jsonPath(parts: readonly PropertyKey[]): string {
  return parts
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
