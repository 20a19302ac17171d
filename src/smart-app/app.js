// The pain-management SMART app: reads the computed picture from the CDS
// service (same numbers as the cards) and writes justifications to the EHR's
// FHIR server as DetectedIssue (+ Goal) resources with the app's own token;
// personal goals (GAS) are set, scored and weighed with the patient (goals.js).
import { decodeJwt } from './vendor/jose/index.js';
import { renderGoals, renderJustificationGoals, renderSdm, setUpGoalEditor, setUpScoring } from './goals.js';
import { renderWholePerson, setUpQuestionnaires } from './whole-person.js';
import { setUpTwin } from './twin.js';
import { setUpNof1 } from './nof1.js';
import { $, el, table } from './dom.js';

const FORM_KEY = 'pain-app-justification';

/** Plain words for what went wrong. */
function explain(error) {
  const status = error?.status ?? error?.response?.status;
  if (status === 401) return 'Your session with the EHR has expired. Launch the app again from the EHR; what you typed is kept.';
  if (status === 403) return 'The EHR did not allow this. Ask for write access to this patient\'s record; what you typed is kept.';
  if (error instanceof TypeError) return 'The EHR could not be reached (network). Check the connection and try again; what you typed is kept.';
  if (status) return `The EHR answered with an error (${status}). Try again; what you typed is kept.`;
  return 'The app met an unexpected problem (details in the browser console). Try again; what you typed is kept.';
}

function humanName(names) {
  const n = names?.[0];
  return n?.text ?? [n?.prefix?.join(' '), n?.given?.join(' '), n?.family].filter(Boolean).join(' ');
}

/** Prefetch keys the service could not read for this summary: what depends on them is unknown, never "none". */
const MEDICATION_KEYS = ['medicationRequests', 'medicationStatements'];

function renderPgx(c, unreadable) {
  const body = $('pgx-body');
  if (!c['cyp2d6.hasResult']) {
    const text = unreadable.has('observations')
      ? 'The laboratory results could not be read from the record just now, so whether a CYP2D6 result exists is unknown. Reload to try again.'
      : 'No CYP2D6 result on file.';
    return body.append(el('p', text, { class: unreadable.has('observations') ? 'warn' : '' }));
  }
  const inhibitorsUnknown = MEDICATION_KEYS.some((k) => unreadable.has(k));
  body.append(
    table(['', ''], [
      ['Result', c['cyp2d6.basis']],
      ['Diplotype', c['cyp2d6.diplotype'] ?? 'phenotype only'],
      ['Activity score', c['cyp2d6.activityScore'] ?? 'none'],
      ['Phenotype from genotype', c['cyp2d6.genotypePhenotype']],
      ['Phenotype to act on', c['cyp2d6.phenotype']],
      ['CYP2D6 inhibitors in use', (c['cyp2d6.inhibitors'] ?? []).join(', ') || (inhibitorsUnknown ? 'unknown: the medication list could not be read' : 'none')],
    ]),
  );
  if (c['cyp2d6.phenoconversionNote']) body.append(el('p', c['cyp2d6.phenoconversionNote'], { class: 'warn' }));
  body.append(el('h3', 'Analgesics'), table(['Analgesic', 'Affected here', 'CPIC advice'], (c['cyp2d6.analgesics'] ?? []).map((a) => [a.drug, a.affected === true ? 'yes' : a.affected === false ? 'no' : 'unknown', a.advice])));
  body.append(el('p', `Interpretation: ${c['cyp2d6.dataVersion']}`));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const monthName = (ym) => `${MONTHS[Number(ym.slice(5, 7)) - 1]} ${ym.slice(0, 4)}`;

/**
 * Total MME per day at the end of each of the last months (from the order
 * history): a labelled y-axis, month names, and the dose levels of the
 * service's rule set (named, from its parameters). Hollow points are months
 * an order of unknown dose or end may cover.
 */
function chart(history, levels) {
  const months = history.months;
  const top = Math.max(100, ...levels.map((l) => l.value), ...months.map((m) => m.mme)) * 1.1;
  const step = top > 400 ? 100 : top > 200 ? 50 : 25;
  const w = 520, h = 240, left = 56, right = 16, bottom = 36, topPad = 12;
  const x = (i) => left + 10 + i * ((w - left - right - 20) / Math.max(1, months.length - 1));
  const y = (v) => h - bottom - (v / top) * (h - bottom - topPad);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Total MME per day, by month: ${months.map((m) => `${monthName(m.month)} ${Math.round(m.mme)}${m.complete ? '' : ' (incomplete)'}`).join(', ')}`);
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text) n.textContent = text;
    svg.append(n);
  };
  // The y-axis, with numbers and its title.
  add('line', { x1: left, x2: left, y1: topPad, y2: h - bottom, stroke: '#555' });
  for (let v = 0; v <= top; v += step) {
    add('line', { x1: left - 4, x2: w - right, y1: y(v), y2: y(v), stroke: v === 0 ? '#555' : '#e2e4e8' });
    add('text', { x: left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, String(v));
  }
  add('text', { x: 14, y: (h - bottom) / 2, transform: `rotate(-90 14 ${(h - bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-title' }, 'MME per day');
  for (const level of levels) {
    add('line', { x1: left, x2: w - right, y1: y(level.value), y2: y(level.value), stroke: level.colour, 'stroke-dasharray': '5 4', 'stroke-width': 1.5 });
    add('text', { x: w - right - 2, y: y(level.value) - 4, 'text-anchor': 'end', class: 'level' }, level.label);
  }
  add('polyline', { points: months.map((m, i) => `${x(i)},${y(m.mme)}`).join(' '), fill: 'none', stroke: '#123b6d', 'stroke-width': 2.5 });
  months.forEach((m, i) => {
    add('circle', { cx: x(i), cy: y(m.mme), r: 5, fill: m.complete ? '#123b6d' : '#fff', stroke: '#123b6d', 'stroke-width': 2 });
    add('text', { x: x(i), y: h - bottom + 18, 'text-anchor': 'middle', class: 'tick' }, MONTHS[Number(m.month.slice(5, 7)) - 1]);
  });
  return svg;
}

/** The dose levels drawn on the chart, named, from the rule set's parameters (mme.reassess, mme.high). */
function doseLevels(parameters) {
  const levels = [];
  if (typeof parameters['mme.reassess'] === 'number') levels.push({ value: parameters['mme.reassess'], label: `${parameters['mme.reassess']} MME/day: reassess`, colour: '#b45309' });
  if (typeof parameters['mme.high'] === 'number') levels.push({ value: parameters['mme.high'], label: `${parameters['mme.high']} MME/day: high dose`, colour: '#a30000' });
  return levels;
}

function renderMme(m, history, parameters) {
  const body = $('mme-body');
  body.append(el('p', `${Math.round(m['mme.total'])} MME/day${m['mme.complete'] ? '' : ' (incomplete: the real total is higher)'}`, { class: 'big' }));
  if (m['mme.outOfScope']) body.append(el('p', `CDC thresholds do not apply: ${m['mme.outOfScopeReasons'].join('; ')}`));
  const orders = m['mme.orders'] ?? [];
  if (!orders.length) body.append(el('p', 'No active opioid orders.'));
  else body.append(table(['Order', 'Sig', 'Daily amount', 'Factor', 'MME/day'], orders.map((o) => [o.drug, o.sig, o.dailyAmount, o.factor, o.mme ?? o.reason])));
  if (!history) {
    body.append(el('p', 'The order history could not be read from the EHR, so no dose history is shown.'));
  } else if (history.months.some((h) => h.mme > 0 || !h.complete)) {
    body.append(el('h3', 'Total daily MME, last six months'), chart(history, doseLevels(parameters)));
    for (const u of history.unknown) body.append(el('p', `Not counted in the history: ${u.drug} (${u.reason}).`, { class: 'warn' }));
  }
  body.append(el('p', `Conversion factors: ${m['mme.factorSet']}`));
}

function renderSafeguards(s) {
  $('sg-body').append(
    table(['', ''], [
      ['Naloxone on hand', s['naloxone.onHand'] ? 'yes' : 'no'],
      ['PDMP', s['pdmp.lastReviewText']],
      ['CNS depressants', (s['cns.drugs'] ?? []).join(', ') || 'none'],
      ['Risk factors', (s['safeguards.riskFactors'] ?? []).join('; ') || 'none'],
    ]),
  );
}

/** Words for the codes the service stores. */
const TOPIC_WORDS = { mme: 'Opioid dose above a threshold', pgx: 'Codeine or tramadol despite the CYP2D6 result', 'cns-depressant': 'Opioid with a sedating drug', 'er-la': 'Long-acting opioid', pdmp: 'PDMP review', naloxone: 'Naloxone', label: 'Drug label restriction' };
const SOURCE_WORDS = { feedback: 'Override in the EHR', 'detected-issue': 'Justification in this app' };
const day = (iso) => new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

function renderExceptions(list) {
  const body = $('ex-body');
  body.replaceChildren();
  if (!list.length) return body.append(el('p', 'None.'));
  body.append(
    table(
      ['Alert', 'Reason', 'By', 'From', 'Until', 'Recorded as'],
      list.map((e) => [TOPIC_WORDS[e.topic] ?? e.topic, e.reasonDisplay, e.userName ?? 'another prescriber', day(e.createdAt), day(e.expiresAt), SOURCE_WORDS[e.source] ?? e.source]),
    ),
  );
}

function keepTyping(form) {
  const saved = JSON.parse(sessionStorage.getItem(FORM_KEY) ?? '{}');
  for (const [k, v] of Object.entries(saved)) {
    const field = form.elements[k];
    if (!field) continue;
    if (field.type === 'checkbox') field.checked = v;
    else field.value = v;
  }
  form.addEventListener('input', () => {
    const values = {};
    for (const e of form.elements) if (e.name) values[e.name] = e.type === 'checkbox' ? e.checked : e.value;
    sessionStorage.setItem(FORM_KEY, JSON.stringify(values));
  });
}

/**
 * What the justification is for, as DetectedIssue extensions: the service
 * quiets only an alert about the same situation. The card's own values come
 * first (its total includes the draft order it was shown for); the record's
 * values are used when the app was opened without a card.
 */
function justifiedSituation(topic, drug, launchedFrom, summary) {
  const ext = (name, value) => ({ url: `urn:pain-cds:${name}`, ...value });
  if (topic === 'mme') {
    const fromCard = Number(launchedFrom.get('mme'));
    const total = launchedFrom.has('mme') && Number.isFinite(fromCard) ? fromCard : summary.mme['mme.total'];
    return [ext('justified-mme', { valueDecimal: total })];
  }
  if (topic === 'pgx') {
    const phenotype = launchedFrom.get('phenotype') || summary.cyp2d6['cyp2d6.riskPhenotype'];
    return [ext('justified-ingredient', { valueString: drug }), ...(phenotype ? [ext('justified-phenotype', { valueString: phenotype })] : [])];
  }
  if (topic === 'cns-depressant') {
    const classes = launchedFrom.get('classes') ? launchedFrom.get('classes').split(',') : (summary.safeguards['cns.classes'] ?? []);
    return classes.filter(Boolean).map((c) => ext('justified-cns-class', { valueString: c }));
  }
  return [];
}

/** A goal typed in the justification form, as a PCO GAS Goal whose expected outcome (0) is the text; the other levels are described later. */
function newGasGoal(c, text, patientId, issueId) {
  const expected = c.levels.find((l) => l.value === 0);
  const patient = { reference: `Patient/${patientId}` };
  return {
    resourceType: 'Goal',
    meta: { profile: [c.goalProfile] },
    extension: [{ url: c.extensionUrl, extension: [{ url: 'level', valueCoding: { system: expected.system, code: expected.code, display: expected.display } }, { url: 'text', valueString: text }] }],
    lifecycleStatus: 'active',
    description: { text },
    subject: patient,
    target: [{ measure: { coding: [c.targetMeasure] } }],
    expressedBy: patient,
    addresses: [{ reference: `DetectedIssue/${issueId}` }],
  };
}

async function main() {
  const client = await FHIR.oauth2.ready();
  const token = client.state.tokenResponse;
  const user = token.id_token ? decodeJwt(token.id_token) : {};
  const loadSummary = async () => {
    const res = await fetch('/app-api/summary', {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fhirServer: client.state.serverUrl, patientId: client.patient.id }),
    });
    if (!res.ok) throw Object.assign(new Error('summary'), { status: res.status });
    return res.json();
  };
  let summary = await loadSummary();
  const p = summary.patient ?? {};
  // The signed-in user's name when the EHR lets the app read it; otherwise the fhirUser reference.
  // (Not client.user: fhirclient decodes the id_token with atob, which fails on base64url.)
  const userRef = String(user.fhirUser ?? '').replace(/^.*\/([A-Za-z]+\/[^/]+)$/, '$1');
  const practitionerName = userRef ? await client.request(userRef).then((u) => humanName(u.name)).catch(() => '') : '';
  const userText = practitionerName || userRef || 'unknown user';
  $('banner').textContent = `${humanName(p.name) || 'Unknown patient'} · born ${p.birthDate ?? 'unknown'} · ${p.gender ?? ''} · signed in as ${userText}`;
  renderWholePerson(summary.pro, summary.unavailable ?? []);
  const author = userRef.startsWith('Practitioner/') ? { reference: userRef, ...(practitionerName ? { display: practitionerName } : {}) } : undefined;
  const launchedFrom = new URLSearchParams(token.appContext ?? '');
  // Personal goals: whatever is saved, the service recomputes the picture (history, T-scores) from the record.
  let refillScoring = () => {};
  const current = () => summary;
  const refresh = async () => {
    summary = await loadSummary();
    renderWholePerson(summary.pro, summary.unavailable ?? []);
    renderGoals(summary.goals);
    refillScoring();
    renderSdm({ summary: current, client, explain, onSaved: refresh });
    renderJustificationGoals(summary.goals);
  };
  renderGoals(summary.goals);
  setUpGoalEditor({ summary: current, client, author, explain, onSaved: refresh, launchedFrom });
  refillScoring = setUpScoring({ summary: current, client, author, explain, onSaved: refresh });
  renderSdm({ summary: current, client, explain, onSaved: refresh });
  renderJustificationGoals(summary.goals);
  setUpQuestionnaires({ pro: summary.pro, client, author, explain, onSaved: refresh });
  setUpNof1({ client, token: token.access_token, explain, summary: current });
  renderPgx(summary.cyp2d6, new Set(summary.unavailable ?? []));
  // What if (the pharmacokinetic twin): opened with view=twin&drug=...&alternatives=... from the CYP2D6 card.
  setUpTwin({ summary, token: token.access_token, launchedFrom });
  renderMme(summary.mme, summary.history, summary.parameters ?? {});
  renderSafeguards(summary.safeguards);
  renderExceptions(summary.exceptions);
  // The card that launched the app says which situation it was about (the
  // drug, the phenotype to act on, the total with the draft order, the
  // depressant classes): a justification is tied to exactly that.
  const view = launchedFrom.get('view');
  // view=goals (the goal cards' links) opens the personal goals, not the justification form's goals field.
  if (view) document.getElementById(view === 'goals' ? 'personal-goals' : view)?.scrollIntoView();

  const form = $('justification');
  // Only the reasons that can justify the chosen alert; none is preselected.
  const showReasons = (selected = '') => {
    const topic = form.elements.topic.value;
    form.elements.reason.replaceChildren(new Option('Choose a reason', ''));
    for (const r of summary.overrideReasons.filter((x) => x.topics.includes(topic))) form.elements.reason.append(new Option(r.display, r.code));
    form.elements.reason.value = selected;
    if (form.elements.reason.value !== selected) form.elements.reason.value = '';
    $('drug-field').hidden = topic !== 'pgx';
    form.elements.drug.required = topic === 'pgx';
  };
  if (['pgx', 'mme', 'cns-depressant'].includes(view)) form.elements.topic.value = view;
  if (launchedFrom.get('drug')) form.elements.drug.value = launchedFrom.get('drug');
  form.elements.topic.addEventListener('change', () => showReasons());
  keepTyping(form);
  showReasons(JSON.parse(sessionStorage.getItem(FORM_KEY) ?? '{}').reason);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = form.elements;
    const reason = summary.overrideReasons.find((r) => r.code === f.reason.value);
    const at = new Date().toISOString();
    // The author by reference and by name, so the service can say who justified it ("documented by Dr ...").
    const practitioner = userRef.startsWith('Practitioner/') ? { reference: userRef, ...(practitionerName ? { display: practitionerName } : {}) } : undefined;
    const issue = {
      resourceType: 'DetectedIssue',
      status: 'final',
      code: { coding: [{ system: 'urn:pain-cds:card-topic', code: f.topic.value, display: f.topic.selectedOptions[0].textContent }] },
      patient: { reference: `Patient/${client.patient.id}` },
      identifiedDateTime: at,
      ...(practitioner ? { author: practitioner } : {}),
      detail: f.rationale.value,
      extension: [
        { url: 'urn:pain-cds:review-date', valueDate: f.review.value },
        ...justifiedSituation(f.topic.value, f.drug.value, launchedFrom, summary),
        ...(f.pdmp.value ? [{ url: 'urn:pain-cds:pdmp-reviewed', valueDate: f.pdmp.value }] : []),
        { url: 'urn:pain-cds:naloxone-offered', valueBoolean: f.naloxone.checked },
      ],
      mitigation: [{ action: { coding: [{ system: reason.system, code: reason.code, display: reason.display }] }, date: at, ...(practitioner ? { author: practitioner } : {}) }],
    };
    // The goals it rests on (the benefit side of the balance): the service shows their T-score on the quiet card.
    const linked = [...form.querySelectorAll('input.justify-goal:checked')].map((i) => ({ reference: i.value }));
    if (linked.length) issue.evidence = [{ detail: linked }];
    try {
      const saved = await client.create(issue);
      for (const goal of f.goals.value.split('\n').map((g) => g.trim()).filter(Boolean)) {
        await client.create(newGasGoal(summary.goals.codes, goal, client.patient.id, saved.id));
      }
      sessionStorage.removeItem(FORM_KEY);
      $('result').className = 'ok';
      $('result').textContent = `Justification saved (DetectedIssue/${saved.id}); the alert stays quiet until ${f.review.value} unless the situation changes.`;
      form.reset();
    } catch (error) {
      console.error('Saving the justification failed:', error?.message ?? error);
      $('result').className = 'error';
      $('result').textContent = explain(error);
    }
  });
}

main().catch((error) => {
  console.error('The app could not start:', error?.message ?? error);
  $('message').className = 'error';
  $('message').textContent = explain(error);
});
