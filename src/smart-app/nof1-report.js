// The N-of-1 trial report, laid out after CENT 2015 (BMJ 2015;350:h1738):
// design, randomisation, periods, adherence and missing days, the estimate
// with its 95% credible interval and probabilities, washout days left out,
// the trend and carry-over checks, harms, and a plot of the daily scores
// coloured by treatment. The numbers come from the service
// (POST /app-api/nof1/report); this module only lays them out. Printable:
// app.css hides everything but the report when printing.

import { el, table } from './dom.js';

const COLOURS = { A: '#1f5fa8', B: '#c25400' };
const pct = (p) => (p >= 0.995 ? '> 99%' : p < 0.005 ? '< 1%' : `${Math.round(p * 100)}%`);
const two = (x) => (Math.round(x * 100) / 100).toFixed(2);
const orUnknown = (v, unit = '') => (v === null || v === undefined ? 'not recorded' : `${v}${unit}`);

/** The daily series as an SVG: one dot per day, coloured by treatment; washout and out-of-period days hollow and grey. */
export function seriesPlot(r) {
  const NS = 'http://www.w3.org/2000/svg';
  const s = r.series;
  const W = 640;
  const H = 260;
  const left = 44;
  const bottom = 40;
  const top = 12;
  const days = s.map((o) => Date.parse(`${o.date}T00:00:00Z`) / 86_400_000);
  const first = Math.min(...days);
  const last = Math.max(...days);
  const x = (d) => left + ((d - first) / Math.max(1, last - first)) * (W - left - 16);
  const max = Math.max(10, ...s.map((o) => o.value));
  const y = (v) => top + (1 - v / max) * (H - top - bottom);
  const svg = document.createElementNS(NS, 'svg');
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const means = r.analysis ? `; mean on A ${two(r.analysis.arms.A.mean)}, on B ${two(r.analysis.arms.B.mean)}` : '';
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('id', 'nof1-plot');
  svg.setAttribute('aria-label', `Daily ${r.design.primaryOutcome} from ${s[0]?.date ?? ''} to ${s.at(-1)?.date ?? ''}: ${s.length} scores, ${s.filter((o) => o.arm === 'A').length} on A (blue) and ${s.filter((o) => o.arm === 'B').length} on B (orange), ${s.filter((o) => o.excluded).length} left out (grey, hollow)${means}.`);
  for (const v of [0, 2, 4, 6, 8, 10].filter((t) => t <= max)) {
    svg.append(mk('line', { x1: left, x2: W - 10, y1: y(v), y2: y(v), stroke: '#ddd' }));
    svg.append(mk('text', { x: left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, String(v)));
  }
  for (const p of r.periods) {
    const d = Date.parse(`${p.start}T00:00:00Z`) / 86_400_000;
    if (d < first || d > last) continue;
    svg.append(mk('line', { x1: x(d) - 3, x2: x(d) - 3, y1: top, y2: H - bottom, stroke: COLOURS[p.arm], 'stroke-dasharray': '4 3' }));
  }
  s.forEach((o, i) => {
    const colour = o.excluded || !o.arm ? '#888' : COLOURS[o.arm];
    const dot = mk('circle', { cx: x(days[i]), cy: y(o.value), r: 5, fill: o.excluded || !o.arm ? 'none' : colour, stroke: colour, 'stroke-width': 2, class: `dot arm-${o.arm ?? 'none'}${o.excluded ? ' excluded' : ''}` });
    dot.append(mk('title', {}, `${o.date}: ${o.value} (${o.arm ? `treatment ${o.arm}` : 'no period'}${o.excluded ? ', left out' : ''})`));
    svg.append(dot);
  });
  svg.append(mk('text', { x: left, y: H - 8, class: 'axis-title' }, `Day (${s[0]?.date ?? ''} to ${s.at(-1)?.date ?? ''}); dashed lines: period starts`));
  const legend = el('p', undefined, { class: 'legend', id: 'nof1-legend' });
  for (const [arm, label] of [['A', r.design.arms.A.label], ['B', r.design.arms.B.label]]) {
    const sw = el('span', '●', { style: `color:${COLOURS[arm]}`, 'aria-hidden': 'true' });
    legend.append(sw, ` ${arm}: ${label}   `);
  }
  legend.append(el('span', '○', { style: 'color:#888', 'aria-hidden': 'true' }), ' left out (washout or no period)');
  const box = el('figure', undefined, { class: 'plot' });
  box.append(svg, legend);
  return box;
}

/** The whole report into `body`. */
/** Why a score was left out, in words (src/clinical/nof1/washout.ts). */
const EXCLUSION_REASONS = { washout: 'washout', 'outside-periods': 'no period', 'duplicate-day': 'a second score that day' };

export function renderReport(body, r) {
  body.replaceChildren();
  body.append(el('p', r.framing, { class: 'small' }));
  body.append(el('h3', 'Design (CENT items 4-6, 11)'));
  const d = r.design;
  body.append(
    table(['Item', 'Value'], [
      ['Treatment A', d.arms.A.label],
      ['Treatment B', d.arms.B.label],
      ['Pairs of periods', String(d.pairs)],
      ['Period length', orUnknown(d.periodDays, ' days')],
      ['Washout after each switch', `${d.washoutDays} day(s), scores left out`],
      ['Blinding', d.blinded === null ? 'not recorded' : d.blinded ? `blinded${d.blindingNote ? `: ${d.blindingNote}` : ''}` : 'open (not blinded)'],
      ['Primary outcome', d.primaryOutcome],
      ['Secondary outcomes', d.secondaryOutcomes.join('; ') || (r.safetyRecorded ? 'none' : 'not recorded')],
      ['Minimal clinically important difference', orUnknown(d.mcid, ' point(s)')],
      ['Supply', d.separateDispensing === null ? 'not recorded' : d.separateDispensing ? 'each period dispensed separately' : 'both supplies held by the patient'],
      ['Stopping rules', d.stoppingRules.join(' ') || 'not recorded'],
    ], { id: 'nof1-design' }),
  );
  body.append(el('h3', 'Randomisation (CENT items 8-10)'));
  body.append(el('p', r.randomisation ? `Seed ${r.randomisation.seed ?? 'not recorded'}; ${r.randomisation.algorithm}; order of the blocks: ${r.randomisation.order}.` : 'Not recorded in a plain trial file.', { id: 'nof1-randomisation' }));
  body.append(el('h3', 'Periods, adherence and missing days (CENT items 14-16)'));
  body.append(el('p', `Status: ${r.status}.`, { id: 'nof1-status' }));
  body.append(table(['Period', 'Treatment', 'Dates', 'Days so far', 'Days scored', 'Missing days'], r.periods.map((p) => [String(p.index + 1), p.arm, `${p.start} to ${p.end}`, String(p.days), String(p.daysScored), String(p.missingDays)]), { id: 'nof1-periods' }));
  body.append(el('p', `Missing days: ${r.missingDays}. Adherence: ${r.adherence.percent === null ? 'not asked' : `${r.adherence.percent}% (${r.adherence.taken} of ${r.adherence.answered} days answered)`}.`, { id: 'nof1-adherence' }));
  if (r.scoresOutOfRange.length) body.append(el('p', `Scores outside the scale, not analysed (recording errors?): ${r.scoresOutOfRange.map((o) => `${o.date}: ${o.value}`).join(', ')}.`, { class: 'warn', id: 'nof1-out-of-range' }));
  body.append(el('h3', 'Result (CENT item 17)'));
  const a = r.analysis;
  if (!a) {
    body.append(el('p', `No estimate yet: ${r.analysisProblems.map((p) => p.message).join('; ')}`, { id: 'nof1-estimate', class: 'warn' }));
  } else {
    const better = a.outcome.lowerIsBetter ? 'lower is better' : 'higher is better';
    body.append(
      table(['Result', 'Value'], [
        ['Difference B minus A (mean)', `${two(a.meanDifference)} points (${better})`],
        ['95% credible interval', `${two(a.credibleInterval95[0])} to ${two(a.credibleInterval95[1])}`],
        ['Probability that B is better', pct(a.probabilityBBetter)],
        [`Probability that B is better by at least ${a.outcome.mcid} (MCID)`, pct(a.probabilityClinicallyImportant)],
        ['Scores used', `${a.observationsUsed} (A ${a.arms.A.observations}, B ${a.arms.B.observations})`],
      ], { id: 'nof1-estimate' }),
    );
    body.append(el('p', a.interpretation, { id: 'nof1-interpretation' }));
    const excluded = a.observationsExcluded;
    body.append(el('p', excluded.length ? `Left out (${excluded.length}): ${excluded.map((e) => `${e.date} (${EXCLUSION_REASONS[e.reason] ?? e.reason})`).join(', ')}.` : 'No score was left out.', { id: 'nof1-excluded' }));
    const c = a.checks;
    const check = (name, x, extra = '') => [name, x.available ? `${two(x.meanDifference)} (95% CrI ${two(x.credibleInterval95[0])} to ${two(x.credibleInterval95[1])}); ${x.agreesWithMain ? 'agrees with' : 'DISAGREES with'} the main estimate${extra}` : `not available: ${x.reason}`];
    body.append(el('h4', 'Trend and carry-over checks'));
    body.append(
      table(['Check', 'B minus A'], [
        check('Adjusted for a time trend', c.trend, c.trend.available ? `; drift ${two(c.trend.trendPerWeek.estimate)} per week${c.trend.trendDetected ? ' (detected)' : ''}` : ''),
        check('Second half of each period only (carry-over)', c.carryOver),
        check('One mean per period (robust to day-to-day correlation)', c.periodMeans),
        ['Day-to-day correlation', c.autocorrelation.available ? `lag-1 r = ${two(c.autocorrelation.lag1)}` : `not available: ${c.autocorrelation.reason}`],
      ], { id: 'nof1-checks' }),
    );
    if (a.warnings.length) {
      const ul = el('ul', undefined, { id: 'nof1-warnings' });
      for (const w of a.warnings) ul.append(el('li', w));
      body.append(ul);
    }
  }
  body.append(el('h3', 'Daily scores'));
  if (r.series.length) body.append(seriesPlot(r));
  else body.append(el('p', 'No daily score yet.'));
  body.append(el('h3', 'Side effects and harms (CENT item 19)'));
  if (r.sideEffects.length) body.append(table(['Side effect', 'Mean on A', 'Mean on B', 'Days scored'], r.sideEffects.map((x) => [x.name, orUnknown(x.meanA), orUnknown(x.meanB), String(x.days)]), { id: 'nof1-side-effects' }));
  const sae = r.seriousAdverseEvents;
  if (!r.safetyRecorded) body.append(el('p', 'Side effects and serious adverse events: not recorded in this trial file, so unknown (not none).', { id: 'nof1-sae', class: 'warn' }));
  else body.append(el('p', sae.length ? `Serious adverse events: ${sae.map((e) => `${e.date}: ${e.text}`).join('; ')}.` : 'No serious adverse event recorded.', { id: 'nof1-sae', class: sae.length ? 'warn' : '' }));
  if (r.earlyStop) body.append(el('p', `Stopped early on ${r.earlyStop.date}: ${r.earlyStop.reason.display ?? r.earlyStop.reason.code}${r.earlyStop.serious ? ' (serious adverse event)' : ''}${r.earlyStop.note ? `: ${r.earlyStop.note}` : ''}.`, { id: 'nof1-stop', class: 'warn' }));
  body.append(el('p', `References: ${r.references.join('; ')}.`, { class: 'small' }));
}
