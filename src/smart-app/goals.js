// Personal goals: Goal Attainment Scaling with the patient (HL7 PCO IG). A
// guided editor writes a PCO GAS Goal (what matters, the expected outcome in
// the patient's words, the four other levels, a due date; templates for common
// pain goals and, in serious illness, goals of care); follow-up scoring by the
// clinician or the patient writes a GAS score Observation (focus -> the Goal);
// the history and the combined T-score per rater come from the service; the
// shared-decision panel puts goals, dials and options side by side and records
// the patient's priorities as Goal.priority. All writes use the app's token.

import { $, el, table } from './dom.js';

const LEVELS = [2, 1, 0, -1, -2];
const signed = (v) => (v > 0 ? `+${v}` : String(v));
const today = () => new Date().toISOString().slice(0, 10);
const PRIORITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/goal-priority';
const PRIORITIES = [['high-priority', 'High priority'], ['medium-priority', 'Medium priority'], ['low-priority', 'Low priority']];

/** What to say when no goal is listed: none recorded, or the record's goals could not be read (never shown as none). */
function noGoals(g, none) {
  return g['goals.known'] === false ? 'The goals could not be read from the record just now, so none are listed; this does not mean there are none. Reload to try again.' : none;
}

/** Active GAS goals: each with its expected outcome, latest level and history; the T-score per rater, now and over time. */
export function renderGoals(g) {
  const body = $('goals-body');
  body.replaceChildren();
  const active = g.goals.filter((x) => x.gas && x.active);
  if (!active.length) body.append(el('p', noGoals(g, 'No Goal Attainment Scaling goal yet. Set one with the patient below.'), { id: 'no-goals' }));
  else {
    body.append(
      table(
        ['Goal', 'Expected outcome (0)', 'Latest level', 'History', 'Due'],
        active.map((x) => {
          const latest = x.history.at(-1);
          return [
            x.text + (x.goalsOfCare ? ' (goal of care)' : ''),
            x.levels.find((l) => l.value === 0)?.text ?? '',
            latest ? `${latest.display} (${signed(latest.level)}), ${latest.date.slice(0, 10)}, ${latest.raterText}` : 'not scored yet',
            x.history.map((h) => `${h.date.slice(0, 10)} ${h.raterText} ${signed(h.level)}`).join('; '),
            x.due ?? '',
          ];
        }),
        { id: 'goal-table' },
      ),
    );
  }
  const t = el('p', g['goals.tScoreText'] || 'No T-score yet.', { id: 'gas-t', class: 'big' });
  body.append(t);
  if (g.series.length) {
    body.append(el('h3', 'Combined T-score over time (50 = as expected)'));
    body.append(table(['Date', 'Rater', 'T-score', 'Goals scored'], g.series.map((s) => [s.day, s.raterText, s.tScore.toFixed(1), String(s.scored)]), { id: 'gas-series' }));
  }
  const plain = g['goals.plainGoals'] ?? [];
  if (plain.length) body.append(el('p', `Goals without a scale (still read): ${plain.join('; ')}`));
  body.append(el('p', `Kiresuk-Sherman T-score, ρ = ${g.rho}, ${g.weighting} weights; ${g.table}`, { class: 'small' }));
}

/** The goal editor: templates, the five levels, due date; writes a PCO GAS Goal and, if given, its baseline. */
export function setUpGoalEditor({ summary, client, author, explain, onSaved, launchedFrom }) {
  const form = $('goal-editor');
  const f = form.elements;
  const fill = () => {
    const g = summary().goals;
    const showCare = g['goals.seriousIllness'] || launchedFrom.get('template') === 'goals-of-care';
    f.template.replaceChildren(new Option('Start from a blank goal', ''));
    for (const [kind, label] of [['goals-of-care', 'Goals of care (serious illness)'], ['pain', 'Common pain goals']]) {
      if (kind === 'goals-of-care' && !showCare) continue;
      const group = el('optgroup', undefined, { label });
      for (const tpl of g.templates.filter((x) => x.kind === kind)) group.append(new Option(tpl.title, tpl.id));
      f.template.append(group);
    }
    $('care-field').hidden = !showCare;
  };
  fill();
  f.template.addEventListener('change', () => {
    const tpl = summary().goals.templates.find((x) => x.id === f.template.value);
    if (!tpl) return;
    $('goal-prompt').textContent = `Ask: ${tpl.prompt} Change every word to the patient's own.`;
    f.what.value = tpl.title;
    for (const v of LEVELS) f[`level${v}`].value = tpl.levels[String(v)];
    f.care.checked = tpl.kind === 'goals-of-care';
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const c = summary().goals.codes;
    const patient = { reference: `Patient/${client.patient.id}` };
    const goal = {
      resourceType: 'Goal',
      meta: { profile: [c.goalProfile] },
      extension: LEVELS.map((v) => {
        const level = c.levels.find((l) => l.value === v);
        return { url: c.extensionUrl, extension: [{ url: 'level', valueCoding: { system: level.system, code: level.code, display: level.display } }, { url: 'text', valueString: f[`level${v}`].value.trim() }] };
      }),
      lifecycleStatus: 'active',
      ...(f.care.checked ? { category: [{ coding: [c.goalsOfCareCategory] }] } : {}),
      description: { text: f.what.value.trim() },
      subject: patient,
      startDate: today(),
      target: [{ measure: { coding: [c.targetMeasure] }, ...(f.due.value ? { dueDate: f.due.value } : {}) }],
      // Written with the patient, in the patient's words.
      expressedBy: patient,
    };
    try {
      const saved = await client.create(goal);
      if (f.baseline.value !== '') await client.create(scoreObservation(c, saved.id, 'baseline', Number(f.baseline.value), patient, author, today()));
      $('goal-result').className = 'ok';
      $('goal-result').textContent = `Goal saved (Goal/${saved.id}).`;
      form.reset();
      await onSaved();
      fill();
    } catch (error) {
      console.error('Saving the goal failed:', error?.message ?? error);
      $('goal-result').className = 'error';
      $('goal-result').textContent = explain(error);
    }
  });
}

/** A PCO GAS score Observation: code by rater, focus the Goal, value from LL6900-6 (no category: the service finds scores by code). */
function scoreObservation(c, goalId, rater, value, patient, author, date) {
  const code = c.scoreCodes.find((s) => s.rater === rater);
  const level = c.levels.find((l) => l.value === value);
  const performer = rater === 'patient' ? patient : author;
  return {
    resourceType: 'Observation',
    meta: { profile: [c.scoreProfile] },
    status: 'final',
    code: { coding: [{ system: code.system, code: code.code, display: code.display }] },
    subject: patient,
    focus: [{ reference: `Goal/${goalId}` }],
    effectiveDateTime: date === today() ? new Date().toISOString() : `${date}T12:00:00Z`,
    ...(performer ? { performer: [performer] } : {}),
    valueCodeableConcept: { coding: [{ system: level.system, code: level.code, display: level.display }] },
  };
}

/** Follow-up scoring by the clinician (107333-7) or the patient (107334-5): the goal's own level texts as the choices. */
export function setUpScoring({ summary, client, author, explain, onSaved }) {
  const form = $('goal-score');
  const f = form.elements;
  const levels = () => {
    const goal = summary().goals.goals.find((g) => g.ref === f.goal.value);
    const box = $('score-levels');
    box.replaceChildren(el('legend', 'Level attained'));
    for (const v of LEVELS) {
      const text = goal?.levels.find((l) => l.value === v)?.text ?? '';
      const label = el('label', undefined, { class: 'inline' });
      label.append(el('input', undefined, { type: 'radio', name: 'level', value: String(v), required: '' }), ` ${signed(v)} ${text}`);
      box.append(label);
    }
  };
  const fill = () => {
    const current = f.goal.value;
    f.goal.replaceChildren(...summary().goals.goals.filter((g) => g.gas && g.active).map((g) => new Option(g.text, g.ref)));
    if (current) f.goal.value = current;
    levels();
  };
  fill();
  if (!f.date.value) f.date.value = today();
  f.goal.addEventListener('change', levels);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const c = summary().goals.codes;
    const patient = { reference: `Patient/${client.patient.id}` };
    try {
      await client.create(scoreObservation(c, f.goal.value.replace(/^Goal\//, ''), f.rater.value, Number(f.level.value), patient, author, f.date.value || today()));
      $('score-result').className = 'ok';
      $('score-result').textContent = 'Score saved.';
      await onSaved();
      fill();
    } catch (error) {
      console.error('Saving the score failed:', error?.message ?? error);
      $('score-result').className = 'error';
      $('score-result').textContent = explain(error);
    }
  });
  return fill;
}

/** Shared decision-making: goals (with the patient's priorities), dials turned up and the options, side by side. */
export function renderSdm({ summary, client, explain, onSaved }) {
  const s = summary();
  const body = $('sdm-body');
  body.replaceChildren();
  const cols = el('div', undefined, { class: 'sdm' });
  const goalCol = el('div');
  goalCol.append(el('h3', 'Goals and what matters most'));
  const active = s.goals.goals.filter((g) => g.gas && g.active);
  const selects = active.map((g) => {
    const sel = el('select', undefined, { 'data-goal': g.ref });
    sel.append(new Option('No priority stated', ''), ...PRIORITIES.map(([code, label]) => new Option(label, code)));
    const current = s.goals.goals.find((x) => x.ref === g.ref)?.priority;
    if (current) sel.value = current;
    const label = el('label', `${g.text}: `);
    label.append(sel);
    goalCol.append(label);
    return sel;
  });
  if (!active.length) goalCol.append(el('p', noGoals(s.goals, 'No goals yet.')));
  const dialCol = el('div');
  dialCol.append(el('h3', 'Mixing-board dials'));
  const dials = (s.pro?.['pro.dials'] ?? []).filter((d) => d.status !== 'never');
  if (!dials.length) dialCol.append(el('p', 'No dial measured.'));
  for (const d of dials) dialCol.append(el('p', `${d.dimension}: ${d.text}`));
  const optCol = el('div');
  optCol.append(el('h3', 'Medication and other options'));
  for (const o of s.mme?.['mme.orders'] ?? []) optCol.append(el('p', `Current: ${o.drug} (${o.mme ?? '?'} MME/day)`));
  for (const o of s.pro?.['pro.nonDrugOptions'] ?? []) optCol.append(el('p', `${o.option} (${o.dimension})`));
  optCol.append(el('p', 'Non-opioid analgesics, taper or dose change: discuss against the goals.', { class: 'small' }));
  cols.append(goalCol, dialCol, optCol);
  const save = el('button', "Record the patient's priorities", { type: 'button', id: 'save-priorities' });
  const result = el('p', '', { role: 'status', id: 'sdm-result' });
  save.addEventListener('click', async () => {
    try {
      for (const sel of selects.filter((x) => x.value)) {
        const goal = await client.request(sel.dataset.goal);
        const [code, label] = PRIORITIES.find(([c]) => c === sel.value);
        await client.update({ ...goal, priority: { coding: [{ system: PRIORITY_SYSTEM, code, display: label }], text: "Patient's stated priority" } });
      }
      result.className = 'ok';
      result.textContent = "The patient's priorities are recorded on the goals.";
      await onSaved();
    } catch (error) {
      console.error('Saving priorities failed:', error?.message ?? error);
      result.className = 'error';
      result.textContent = explain(error);
    }
  });
  body.append(cols, save, result);
}

/** The justification form's goals: the active GAS goals to tick, recorded as the DetectedIssue's evidence. */
export function renderJustificationGoals(goals) {
  const box = $('justify-goals');
  box.replaceChildren(el('legend', 'Functional goals this justification rests on'));
  const active = goals.goals.filter((g) => g.active);
  if (!active.length) box.append(el('p', noGoals(goals, 'No goals yet: set them with the patient under "Personal goals" first.')));
  for (const g of active) {
    const label = el('label', undefined, { class: 'inline' });
    label.append(el('input', undefined, { type: 'checkbox', class: 'justify-goal', value: g.ref }), ` ${g.text}${g.gas ? '' : ' (no scale)'}`);
    box.append(label);
  }
}
