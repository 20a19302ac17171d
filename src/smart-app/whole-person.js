// The whole person: the mixing board (one dial per dimension, with its band,
// date, a year's trend and the minimal clinically important difference), the
// non-drug options of the dials turned up, and a questionnaire view that
// renders the service's FHIR Questionnaires, has the service validate and score
// the answers, and writes the QuestionnaireResponse and the score Observations
// (category survey, derivedFrom the response) to the EHR with the app's token.

import { el } from './dom.js';

const LEVEL_WORDS = ['none', 'mild', 'turned up', 'turned up high'];

/** One dial: a meter 0-3 (never measured shows no meter and says so), the latest value, its date, the trend. */
function dial(d) {
  const box = el('div', undefined, { class: `dial dial-${d.status}`, 'data-dimension': d.dimension });
  box.append(el('h3', d.dimension));
  if (d.status === 'never') {
    box.append(el('p', d.text, { class: 'never' }));
    return box;
  }
  const meter = el('meter', undefined, { min: '0', max: '3', low: '1', high: '2', optimum: '0', value: String(d.level ?? 0), 'aria-label': `${d.dimension}: ${LEVEL_WORDS[d.level ?? 0]}` });
  box.append(meter, el('p', d.text, { class: d.status === 'dated' ? 'dated' : 'value' }));
  if (d.trend?.length > 1) box.append(el('p', `Last year: ${d.trend.map((t) => `${t.value} (${t.date})`).join(' → ')}`, { class: 'trend' }));
  if (d.change) box.append(el('p', d.change, { class: 'change' }));
  return box;
}

export function renderWholePerson(pro, unavailable) {
  const body = document.getElementById('pro-body');
  body.replaceChildren();
  // Scores live in Observations: if they could not be read, every dial would look "never measured".
  if (unavailable.includes('observations')) {
    body.append(el('p', 'The questionnaire scores could not be read from the record just now, so the dials are not shown; this does not mean they were never measured. Reload to try again.', { class: 'warn', id: 'pro-unreadable' }));
    return;
  }
  if (pro['pro.selfHarm']) body.append(el('p', `Thoughts of self-harm reported on PHQ-9 item 9: ${pro['pro.selfHarmText']}. Assess safety today and follow the site's crisis pathway.`, { class: 'error', id: 'self-harm' }));
  const board = el('div', undefined, { class: 'board', id: 'board' });
  for (const d of pro['pro.dials'] ?? []) board.append(dial(d));
  body.append(board, el('p', `Instruments due: ${pro['pro.dueText']}.`, { id: 'due' }));
  if (pro['pro.datedNote']) body.append(el('p', pro['pro.datedNote'], { class: 'dated' }));
  const options = pro['pro.nonDrugOptions'] ?? [];
  body.append(el('h3', 'Options past the pill, for the dials turned up'));
  if (!options.length) body.append(el('p', 'No dial is turned up (moderate or worse) at present.'));
  else {
    const t = el('table', undefined, { id: 'nondrug' });
    const head = el('tr');
    for (const h of ['Turned up', 'Option to discuss', 'Evidence', 'Source']) head.append(el('th', h, { scope: 'col' }));
    t.append(head);
    for (const o of options) {
      const tr = el('tr');
      for (const c of [o.dimension, o.option, o.evidence, o.source]) tr.append(el('td', c));
      t.append(tr);
    }
    body.append(t);
  }
  body.append(el('p', `Instruments and options: ${(pro.tables ?? []).join(', ')}`, { class: 'small' }));
}

/** The questionnaire view: a chooser, then the chosen form with one fieldset per item (labelled radio buttons). */
export function setUpQuestionnaires({ pro, client, author, onSaved, explain }) {
  const chooser = document.getElementById('instrument');
  const form = document.getElementById('questionnaire');
  const result = document.getElementById('q-result');
  chooser.replaceChildren(new Option('Choose a questionnaire', ''));
  for (const q of pro.questionnaires) chooser.append(new Option(q.title, q.id));
  const show = () => {
    form.replaceChildren();
    const q = pro.questionnaires.find((x) => x.id === chooser.value);
    if (!q) return;
    if (q.description) form.append(el('p', q.description, { class: 'preamble' }));
    q.item.forEach((item, n) => {
      const set = el('fieldset', undefined, { 'data-link-id': item.linkId });
      set.append(el('legend', `${n + 1}. ${item.text}`));
      const choices = el('div', undefined, { class: item.answerOption.length > 5 ? 'choices scale' : 'choices' });
      for (const o of item.answerOption) {
        const label = el('label', undefined, { class: 'choice' });
        const input = el('input', undefined, { type: 'radio', name: item.linkId, value: o.valueCoding.code });
        input.required = true;
        label.append(input, document.createTextNode(` ${o.valueCoding.display}`));
        choices.append(label);
      }
      set.append(choices);
      form.append(set);
    });
    form.append(el('button', `Save ${q.name ?? 'answers'}`, { type: 'submit' }), el('p', q.copyright, { class: 'small' }));
  };
  chooser.addEventListener('change', show);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = pro.questionnaires.find((x) => x.id === chooser.value);
    const answers = Object.fromEntries(q.item.map((i) => [i.linkId, form.elements[i.linkId]?.value ?? '']).filter(([, v]) => v));
    const missing = q.item.filter((i) => !answers[i.linkId]).map((_, n) => n + 1);
    if (missing.length) {
      result.className = 'error';
      result.textContent = `Please answer question${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`;
      return;
    }
    try {
      const scored = await fetch('/app-api/questionnaire-response', {
        method: 'POST',
        headers: { authorization: `Bearer ${client.state.tokenResponse.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ instrumentId: q.id, patientId: client.patient.id, responseId: crypto.randomUUID(), answers, ...(author ? { author } : {}) }),
      });
      if (!scored.ok) throw Object.assign(new Error('score'), { status: scored.status });
      const done = await scored.json();
      // The EHR assigns the response's id; the Observations then point at it.
      const response = { ...done.questionnaireResponse };
      delete response.id;
      const saved = await client.create(response);
      for (const o of done.observations) await client.create({ ...o, derivedFrom: [{ reference: `QuestionnaireResponse/${saved.id}` }] });
      result.className = 'ok';
      result.textContent = `Saved ${q.title}: ${done.total} (${done.band}). QuestionnaireResponse/${saved.id} and ${done.observations.length} score Observation(s) written to the record.`;
      form.replaceChildren();
      chooser.value = '';
      await onSaved();
    } catch (error) {
      console.error('Saving the questionnaire failed:', error?.message ?? error);
      result.className = 'error';
      result.textContent = explain(error);
    }
  });
}
