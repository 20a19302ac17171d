import { z } from 'zod';
import { knowledgeTableSchema } from '../../knowledge/table.js';

/**
 * The whole-person instruments (rules/knowledge/pro-instruments.json) and the
 * non-drug options shown for each dimension (rules/knowledge/nondrug-options.json):
 * codes, items, scoring, bands, change thresholds and validity windows, each
 * instrument with its source, licence and what was verified.
 */
const coding = z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().min(1) }).strict();
const scoreCoding = coding.extend({ unit: z.string().min(1) }).strict();

const answerOption = z.object({ code: z.string().min(1), display: z.string().min(1), score: z.number() }).strict();
const answerSet = z.object({ description: z.string(), system: z.string().optional(), options: z.array(answerOption).min(2) }).strict();

const item = z
  .object({
    linkId: z.string().min(1),
    code: z.string().optional(),
    answers: z.string().optional(),
    /** The item's wording, only where the licence allows shipping it. */
    text: z.string().optional(),
    /** A risk-factor item (ORT): a label and the points by sex. */
    label: z.string().optional(),
    points: z.object({ female: z.number(), male: z.number() }).strict().optional(),
  })
  .strict();

const band = z.object({ min: z.number(), max: z.number(), label: z.string().min(1), level: z.number().int().min(0).max(3) }).strict();

export const instrument = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    name: z.string().min(1),
    title: z.string().min(1),
    dimension: z.string().min(1),
    panel: coding.optional(),
    total: scoreCoding,
    subscore: scoreCoding.extend({ items: z.array(z.string()) }).strict().optional(),
    selfHarmItem: z.string().optional(),
    scoring: z.enum(['sum', 'mean', 'startback', 'ort', 'observation-only']),
    decimals: z.number().int().min(0).max(2),
    range: z.tuple([z.number(), z.number()]),
    direction: z.literal('higher-worse'),
    preamble: z.string().optional(),
    items: z.array(item),
    riskGroups: z.object({ lowMaxTotal: z.number(), highMinSubscore: z.number() }).strict().optional(),
    bands: z.array(band).min(1),
    mcid: z.number().positive().nullable(),
    validityDays: z.number().int().positive(),
    renderInApp: z.boolean(),
    licence: z.string().min(1),
    source: z.string().min(1),
    verified: z.string().min(1),
  })
  .strict();

const dimension = z.object({ id: z.string().min(1), label: z.string().min(1), instruments: z.array(z.string()) }).strict();

const instrumentsPayload = z
  .object({ answerSets: z.record(z.string(), answerSet), instruments: z.array(instrument).min(1), dimensions: z.array(dimension).min(1) })
  .strict()
  .superRefine((data, ctx) => {
    const ids = new Set(data.instruments.map((i) => i.id));
    data.dimensions.forEach((d, di) =>
      d.instruments.forEach((id, ii) => {
        if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['dimensions', di, 'instruments', ii], message: `unknown instrument '${id}'` });
      }),
    );
    data.instruments.forEach((ins, n) => {
      ins.items.forEach((it, k) => {
        if (it.answers !== undefined && !data.answerSets[it.answers]) ctx.addIssue({ code: 'custom', path: ['instruments', n, 'items', k, 'answers'], message: `unknown answer set '${it.answers}'` });
        if (ins.renderInApp && (it.text === undefined || it.answers === undefined)) ctx.addIssue({ code: 'custom', path: ['instruments', n, 'items', k], message: 'an instrument rendered in the app needs the text and answer set of every item' });
      });
      if (!data.dimensions.some((d) => d.id === ins.dimension)) ctx.addIssue({ code: 'custom', path: ['instruments', n, 'dimension'], message: `unknown dimension '${ins.dimension}'` });
      if (ins.scoring === 'startback' && !ins.riskGroups) ctx.addIssue({ code: 'custom', path: ['instruments', n, 'riskGroups'], message: 'STarT Back scoring needs riskGroups' });
    });
  });

export type Instrument = z.infer<typeof instrument>;
export type ProInstrumentTable = z.infer<typeof instrumentsPayload>;
export const parseProInstrumentsTable = (json: unknown) => knowledgeTableSchema(instrumentsPayload).parse(json);

const nonDrugPayload = z
  .object({ options: z.array(z.object({ dimension: z.string().min(1), option: z.string().min(1), evidence: z.string().min(1), source: z.string().min(1) }).strict()).min(1) })
  .strict();
export type NonDrugTable = z.infer<typeof nonDrugPayload>;
export const parseNonDrugTable = (json: unknown) => knowledgeTableSchema(nonDrugPayload).parse(json);

/** The band a score falls in (the first whose range holds it), or undefined outside every band. */
export function bandOf(ins: Instrument, score: number): Instrument['bands'][number] | undefined {
  return ins.bands.find((b) => score >= b.min && score <= b.max);
}
