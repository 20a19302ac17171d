// What if (issue 23): the pharmacokinetic twin in the app. The patient's CYP2D6
// activity score, inhibitors, eGFR and liver status come from the service's
// summary (the record) and can be changed ("what if paroxetine stopped?"); up to
// three regimens (the draft order and the card's alternatives when the app was
// opened from the CYP2D6 card, else one per model) are simulated by the service
// (POST /app-api/twin/simulate) and drawn: the active drug's concentration over
// the days, the range a normal metabolizer would have on the same regimen, the
// reference ranges the sources give (or that they give none), AUC and Cmax at
// steady state, MME, CPIC advice and sentences for the patient conversation.
// Always labelled as an illustration for discussion, not a dosing tool.
import { $, el, table } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#123b6d', '#a3430b', '#2f6f3e'];
const REGIMEN_SLOTS = 3;

/** The record's activity score as a number ("≥4.0" is its lower bound); undefined when none. */
function recordScore(cyp) {
  const text = cyp['cyp2d6.activityScore'];
  if (text === null || text === undefined) return undefined;
  const n = Number(String(text).replace(/^≥/, ''));
  return Number.isFinite(n) ? n : undefined;
}

/** A phenotype-only result (no activity score): simulated from the phenotype unless a score is entered, never as a normal metabolizer. */
let recordPhenotype;

function fillPatient(summary) {
  const cyp = summary.cyp2d6 ?? {};
  const twin = summary.twin;
  const score = recordScore(cyp);
  const unreadable = new Set(summary.unavailable ?? []);
  const phenotype = cyp['cyp2d6.genotypePhenotype'];
  recordPhenotype = cyp['cyp2d6.hasResult'] && score === undefined && /^(poor|intermediate|normal|ultrarapid) metabolizer$/i.test(phenotype ?? '') ? phenotype : undefined;
  $('twin-score').value = score ?? '';
  $('twin-score-note').textContent = recordPhenotype
    ? `From the record: a phenotype-only result, ${recordPhenotype}. Left empty, the curves use the twin's representative activity score for it; enter a score to ask what if.`
    : cyp['cyp2d6.hasResult'] && score === undefined
      ? `From the record: a CYP2D6 result that could not be scored (${phenotype ?? 'phenotype unknown'}). Left empty, each curve is a typical (normal) metabolizer's and says so; enter a score to ask what if.`
    : cyp['cyp2d6.hasResult']
    ? `From the record: ${cyp['cyp2d6.diplotype'] ?? 'phenotype only'}, activity score ${cyp['cyp2d6.activityScore'] ?? 'not given'} (${phenotype ?? 'phenotype unknown'}).`
    : unreadable.has('observations')
      ? 'The laboratory results could not be read, so whether a CYP2D6 result exists is unknown. Leave empty to simulate a typical (normal) metabolizer, which each result then says, or enter a score.'
      : 'No CYP2D6 result on file. Leave empty to simulate a typical (normal) metabolizer, which each result then says, or enter a score to ask what if.';
  const box = $('twin-inhibitors');
  box.querySelectorAll('label, p.twin-none').forEach((n) => n.remove());
  const names = twin?.inhibitors?.names ?? [];
  names.forEach((name, i) => {
    const label = el('label', undefined, { class: 'choice', for: `twin-inhibitor-${i}` });
    label.append(el('input', undefined, { type: 'checkbox', id: `twin-inhibitor-${i}`, class: 'twin-inhibitor', value: name, checked: '' }), document.createTextNode(name));
    box.append(label);
  });
  if (!names.length) box.append(el('p', twin?.inhibitors?.known === false ? 'Unknown: the medication list could not be read.' : 'None on the medication list.', { class: `small twin-none${twin?.inhibitors?.known === false ? ' warn' : ''}` }));
  const e = twin?.eGFR;
  $('twin-egfr').value = e?.value ?? '';
  $('twin-egfr-note').textContent = !e?.known
    ? 'Unknown: the laboratory results could not be read.'
    : e.value === null
      ? `No eGFR result on record (looked for LOINC ${twin.codes.eGFR.join(', ')}).`
      : `From the record: ${e.value} ${e.unit ?? ''} on ${e.date ?? 'an unknown date'} (LOINC ${e.code}).`;
  $('twin-liver').value = twin?.liver?.status ?? 'unknown';
}

function regimenRow(i, models) {
  const box = el('fieldset', undefined, { class: 'twin-regimen-box', 'data-slot': String(i) });
  box.append(el('legend', `Option ${i + 1}`));
  const grid = el('div', undefined, { class: 'twin-regimen' });
  const wrap = (labelText, field) => {
    const d = el('div');
    d.append(el('label', labelText, { for: field.id }), field);
    return d;
  };
  const drug = el('select', undefined, { id: `twin-drug-${i}`, name: `drug${i}` });
  drug.append(new Option('None', ''));
  for (const m of models) drug.append(new Option(`${m.drug} (active: ${m.active})`, m.drug));
  const dose = el('input', undefined, { id: `twin-dose-${i}`, name: `dose${i}`, type: 'number', min: '0', step: 'any' });
  const every = el('input', undefined, { id: `twin-interval-${i}`, name: `interval${i}`, type: 'number', min: '1', max: '48', step: 'any' });
  const label = el('input', undefined, { id: `twin-name-${i}`, name: `name${i}`, type: 'text' });
  drug.addEventListener('change', () => {
    const m = models.find((x) => x.drug === drug.value);
    if (m && !dose.value) dose.value = m.exampleRegimen.doseMg;
    if (m && !every.value) every.value = m.exampleRegimen.intervalHours;
  });
  grid.append(wrap('Drug', drug), wrap('mg per dose (salt on the tablet)', dose), wrap('Every (hours)', every), wrap('Name', label));
  box.append(grid);
  return box;
}

function setRegimen(i, r) {
  $(`twin-drug-${i}`).value = r.drug;
  $(`twin-dose-${i}`).value = r.doseMg;
  $(`twin-interval-${i}`).value = r.intervalHours;
  $(`twin-name-${i}`).value = r.label;
}

/** The regimens to start with: from the CYP2D6 card's link (the draft and its alternatives), else one per model at its label example. */
function preload(models, launchedFrom) {
  const byDrug = (d) => models.find((m) => m.drug === d);
  const notes = [];
  const regimens = [];
  if (launchedFrom.get('view') === 'twin' && launchedFrom.get('drug')) {
    const drug = launchedFrom.get('drug');
    const m = byDrug(drug);
    const dose = Number(launchedFrom.get('doseMg'));
    const every = Number(launchedFrom.get('intervalHours'));
    if (!m) notes.push(`The draft order's ${drug} has no model in the twin.`);
    else {
      const known = launchedFrom.get('doseMg') && dose > 0 && launchedFrom.get('intervalHours') && every > 0;
      regimens.push({ drug, doseMg: known ? dose : m.exampleRegimen.doseMg, intervalHours: known ? every : m.exampleRegimen.intervalHours, label: 'Draft order' });
      if (!known) notes.push(`The card did not pass the draft order's dose or interval: the label example (${m.exampleRegimen.doseMg} mg every ${m.exampleRegimen.intervalHours} h) is filled in; change it to the draft's.`);
    }
    for (const alt of (launchedFrom.get('alternatives') ?? '').split(',').filter(Boolean)) {
      const a = byDrug(alt);
      if (!a) notes.push(`The card's alternative ${alt} has no model in the twin, so it is not drawn.`);
      else if (regimens.length < REGIMEN_SLOTS) regimens.push({ drug: alt, doseMg: a.exampleRegimen.doseMg, intervalHours: a.exampleRegimen.intervalHours, label: `Card alternative: ${alt} (label example dose)` });
    }
  }
  if (!regimens.length) for (const m of models.slice(0, REGIMEN_SLOTS)) regimens.push({ drug: m.drug, doseMg: m.exampleRegimen.doseMg, intervalHours: m.exampleRegimen.intervalHours, label: `${m.drug} (label example dose)` });
  return { regimens, notes };
}

function request() {
  const score = $('twin-score').value.trim();
  const inhibitors = [...document.querySelectorAll('input.twin-inhibitor:checked')].map((i) => i.value);
  inhibitors.push(...$('twin-add-inhibitor').value.split(',').map((s) => s.trim()).filter(Boolean));
  const egfr = $('twin-egfr').value.trim();
  const regimens = [];
  for (let i = 0; i < REGIMEN_SLOTS; i++) {
    const drug = $(`twin-drug-${i}`).value;
    if (!drug) continue;
    regimens.push({ drug, doseMg: Number($(`twin-dose-${i}`).value), intervalHours: Number($(`twin-interval-${i}`).value), ...($(`twin-name-${i}`).value.trim() ? { label: $(`twin-name-${i}`).value.trim() } : {}) });
  }
  return {
    patient: {
      weightKg: Number($('twin-weight').value),
      ...(score !== '' ? { cyp2d6: { activityScore: Number(score) } } : recordPhenotype ? { cyp2d6: { phenotype: recordPhenotype } } : {}),
      inhibitors,
      ...(egfr !== '' ? { eGFR: Number(egfr) } : {}),
      liver: $('twin-liver').value,
    },
    regimens,
  };
}

/** One regimen's curve of the active drug over the simulated days, with the normal-metabolizer band and any source range. */
function curve(r, colour) {
  const w = 520, h = 260, left = 64, right = 14, top = 14, bottom = 44;
  const xs = r.series.timeHours, ys = r.series.active;
  const ranges = [r.referenceRanges.analgesic, r.referenceRanges.toxic].filter(Boolean);
  const maxY = Math.max(...ys, r.normalMetabolizer.steadyStateRange.high, ...ranges.map((x) => x.high)) * 1.1 || 1;
  const maxX = xs.at(-1) || 1;
  const x = (t) => left + (t / maxX) * (w - left - right);
  const y = (v) => h - bottom - (v / maxY) * (h - bottom - top);
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('class', 'twin-curve');
  const n = r.normalMetabolizer.steadyStateRange;
  svg.setAttribute('aria-label', `${r.label}: ${r.active.name} concentration over ${Math.round(maxX / 24)} days, peaking at ${fmt(r.active.cmax)} ng/mL; a normal metabolizer on the same regimen would range ${fmt(n.low)} to ${fmt(n.high)} ng/mL at steady state.${ranges.length ? '' : ' The sources give no analgesic or toxic range.'}`);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  add('rect', { x: left, width: w - left - right, y: y(n.high), height: Math.max(1, y(n.low) - y(n.high)), fill: '#9aa5b1', 'fill-opacity': 0.3, class: 'normal-band' });
  const rangeColours = { analgesic: '#2f6f3e', toxic: '#a30000' };
  for (const [kind, range] of Object.entries({ analgesic: r.referenceRanges.analgesic, toxic: r.referenceRanges.toxic })) {
    if (!range) continue;
    add('rect', { x: left, width: w - left - right, y: y(range.high), height: Math.max(1, y(range.low) - y(range.high)), fill: rangeColours[kind], 'fill-opacity': 0.15, class: `${kind}-band` });
  }
  add('line', { x1: left, x2: left, y1: top, y2: h - bottom, stroke: '#555' });
  add('line', { x1: left, x2: w - right, y1: h - bottom, y2: h - bottom, stroke: '#555' });
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 1.1) * (i / 4);
    add('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(v));
  }
  for (let d = 0; d <= maxX / 24; d++) add('text', { x: x(d * 24), y: h - bottom + 16, 'text-anchor': 'middle', class: 'tick' }, String(d * 24));
  add('text', { x: (left + w - right) / 2, y: h - 6, 'text-anchor': 'middle', class: 'axis-title' }, 'Hours since the first dose');
  add('text', { x: 14, y: (h - bottom) / 2, transform: `rotate(-90 14 ${(h - bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-title' }, `${r.active.name} (ng/mL)`);
  add('polyline', { points: xs.map((t, i) => `${x(t).toFixed(1)},${y(ys[i]).toFixed(1)}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2.2, class: 'patient-curve' });
  return svg;
}

const fmt = (v) => (v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));

function legend(colour, hasRanges) {
  const ul = el('ul', undefined, { class: 'twin-legend' });
  const item = (style, text) => {
    const li = el('li');
    li.append(el('span', undefined, { class: 'swatch', style }), document.createTextNode(text));
    ul.append(li);
  };
  item(`background:${colour}`, 'This patient (as entered above)');
  item('background:#9aa5b1;opacity:0.6', 'Range of a normal metabolizer on the same regimen at steady state (model)');
  if (hasRanges) item('background:#2f6f3e;opacity:0.4', 'Analgesic range from the sources');
  return ul;
}

function render(answer) {
  const out = $('twin-result');
  out.replaceChildren();
  out.append(el('p', answer.label, { class: 'illustration', id: 'twin-answer-label' }));
  if (answer.patient.cyp2d6) {
    const c = answer.patient.cyp2d6;
    // Only the strongest inhibitor changes the score (as on the cards); the others are named as also taken.
    const [strongest, ...others] = c.inhibitorsApplied;
    const after = strongest ? ` after ${strongest.name}, ${strongest.strength} inhibitor${others.length ? `; also taken, no further effect assumed: ${others.map((i) => i.name).join(', ')}` : ''}` : '';
    out.append(el('p', `CYP2D6 activity score used: ${c.effectiveActivityScore} (${c.phenotype})${after}.`, { id: 'twin-effective' }));
    for (const note of c.notes) out.append(el('p', note, { class: 'small' }));
  } else out.append(el('p', 'No CYP2D6 activity score given: every curve is a typical (normal) metabolizer\'s, not this patient\'s.', { class: 'warn', id: 'twin-effective' }));
  const charts = el('div', undefined, { class: 'twin-charts' });
  answer.regimens.forEach((r, i) => {
    const fig = el('figure');
    fig.append(el('figcaption', r.label, { class: 'small' }), curve(r, COLOURS[i]), legend(COLOURS[i], Boolean(r.referenceRanges.analgesic || r.referenceRanges.toxic)));
    if (!r.referenceRanges.analgesic && !r.referenceRanges.toxic) fig.append(el('p', r.referenceRanges.note, { class: 'small' }));
    charts.append(fig);
  });
  out.append(charts);
  out.append(el('h3', 'At steady state'));
  out.append(
    table(
      ['Option', 'Active drug', 'AUC over 24 h (ng·h/mL)', 'Highest concentration (ng/mL)', 'Share of a normal metabolizer\'s exposure', 'MME per day', 'CPIC advice'],
      answer.regimens.map((r) => [
        r.label,
        r.active.name,
        fmt(r.active.auc24),
        fmt(r.active.cmax),
        r.exposure.level === 'not-cyp2d6-dependent' ? 'not changed by CYP2D6' : `${Math.round(r.exposure.fractionOfNormal * 100)}%`,
        r.mme.perDay === null ? `not known (${r.mme.reason ?? 'not computable'})` : String(r.mme.perDay),
        r.cpic.phenotype ? `${r.cpic.phenotype}: ${r.cpic.advice}` : r.cpic.advice,
      ]),
      { id: 'twin-table' },
    ),
  );
  for (const r of answer.regimens) if (r.exposure.note) out.append(el('p', r.exposure.note, { class: 'warn twin-note' }));
  // What limits this run (steady state not reached, a weight outside the studied band, ...); kidney and liver have their own section below.
  for (const r of answer.regimens) {
    for (const w of r.warnings.filter((text) => !/^(eGFR|Hepatic impairment) /.test(text))) out.append(el('p', `${r.label}: ${w}`, { class: 'small twin-warning' }));
  }
  out.append(el('h3', 'For the conversation with the patient'));
  answer.regimens.forEach((r) => {
    const block = el('div', undefined, { class: 'twin-summary' });
    block.append(el('h4', r.label));
    const ul = el('ul');
    for (const s of r.summary) ul.append(el('li', s));
    block.append(ul);
    out.append(block);
  });
  out.append(el('h3', 'Kidney and liver: what the models leave out'));
  out.append(el('p', answer.kidneyAndLiver));
  const seen = new Set();
  for (const r of answer.regimens) {
    if (seen.has(r.drug)) continue;
    seen.add(r.drug);
    out.append(el('p', `${r.drug}: ${r.kidney.statement}${r.kidney.eGFR !== null ? ` (eGFR entered: ${r.kidney.eGFR}.)` : ''} ${r.liver.statement}${r.liver.status === 'cirrhosis' ? ' (Cirrhosis entered above.)' : ''}`, { class: 'small twin-limit' }));
  }
  out.append(el('p', `Models and tables: ${answer.modelVersions.join(', ')}`, { class: 'small' }));
}

/** Sets up the what-if form; returns nothing. Simulation runs on submit (weight is needed first). */
export function setUpTwin({ summary, token, launchedFrom }) {
  const info = summary.twin;
  if (!info?.models) {
    $('twin-status').textContent = 'The service did not send the what-if models.';
    return;
  }
  const holder = $('twin-regimens');
  holder.replaceChildren(...Array.from({ length: REGIMEN_SLOTS }, (_, i) => regimenRow(i, info.models)));
  fillPatient(summary);
  const { regimens, notes } = preload(info.models, launchedFrom);
  regimens.forEach((r, i) => setRegimen(i, r));
  $('twin-regimen-note').textContent = notes.join(' ');
  $('twin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const status = $('twin-status');
    if (!($('twin-weight').valueAsNumber > 0)) {
      status.className = 'error';
      status.textContent = 'Enter the patient\'s weight: the models scale with it.';
      $('twin-weight').focus();
      return;
    }
    status.className = '';
    status.textContent = 'Simulating…';
    try {
      const res = await fetch('/app-api/twin/simulate', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(request()) });
      const body = await res.json().catch(() => null);
      if (!res.ok) {
        status.className = 'error';
        status.textContent = body?.issue?.length ? `Not simulated: ${body.issue.map((i) => i.diagnostics).join('; ')}` : `The service answered with an error (${res.status}).`;
        return;
      }
      render(body);
      status.className = 'ok';
      status.textContent = `Simulated ${body.regimens.length} option(s) over ${body.days} days.`;
    } catch (error) {
      console.error('The what-if simulation failed:', error?.message ?? error);
      status.className = 'error';
      status.textContent = 'The service could not be reached. Try again.';
    }
  });
}
