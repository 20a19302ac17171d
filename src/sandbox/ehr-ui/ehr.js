// Demo EHR order screen. Talks only to the demo EHR's own API (/ehr/api),
// which calls the CDS service as a real client would.
import { renderMarkdown } from './markdown.js';

const DRUGS = [
  { id: 'codeine', rxnorm: '993781', display: 'Acetaminophen 300 MG / Codeine Phosphate 30 MG Oral Tablet' },
  { id: 'tramadol', rxnorm: '835603', display: 'Tramadol Hydrochloride 50 MG Oral Tablet' },
  { id: 'oxycodone', rxnorm: '1049683', display: 'Oxycodone Hydrochloride 10 MG Oral Tablet' },
  { id: 'hydrocodone', rxnorm: '856903', display: 'Acetaminophen 500 MG / Hydrocodone Bitartrate 5 MG Oral Tablet' },
  { id: 'morphine', rxnorm: '892582', display: 'Morphine Sulfate 15 MG Oral Tablet' },
  { id: 'acetaminophen', rxnorm: '198440', display: 'Acetaminophen 500 MG Oral Tablet' },
];
const $ = (id) => document.getElementById(id);
let draft = null;

function newDraft() {
  const drug = DRUGS.find((d) => d.id === $('drug').value);
  draft = {
    resourceType: 'MedicationRequest',
    id: `draft-${crypto.randomUUID().slice(0, 8)}`,
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${$('patient').value}` },
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: drug.rxnorm, display: drug.display }], text: drug.display },
    dosageInstruction: [{
      timing: { repeat: { frequency: 1, period: Number($('every').value), periodUnit: 'h' } },
      ...($('prn').checked ? { asNeededBoolean: true } : {}),
      doseAndRate: [{ doseQuantity: { value: Number($('dose').value), unit: 'tablet' } }],
    }],
  };
  showDraft();
}

function showDraft() {
  $('draft').textContent = draft ? `Draft: ${draft.medicationCodeableConcept.text}` : 'No draft order.';
}

/** Calls the demo EHR's API; a network failure comes back as status 0. */
async function post(path, body) {
  try {
    const res = await fetch(`api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json().catch(() => ({})) };
  } catch {
    return { status: 0, body: {} };
  }
}

function problem(status, body) {
  if (status === 0) return 'The demo EHR server could not be reached. Is npm start still running?';
  return `The CDS service answered ${status}: ${body.issue?.[0]?.diagnostics ?? body.error ?? 'error'}`;
}

async function runHook(hook) {
  if (!draft) newDraft();
  $('status').textContent = `Calling ${hook}…`;
  const { status, body } = await post('hook', { hook, patientId: $('patient').value, drafts: [draft] });
  if (status !== 200) {
    $('status').textContent = problem(status, body);
    return;
  }
  $('status').textContent = `${body.cards.length} card(s) from ${body.serviceId}${hook === 'order-sign' && body.cards.every((c) => c.indicator === 'info') ? '. Order signed.' : ''}`;
  renderCards(body.serviceId, body.cards);
}

function text(tag, content, className) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
}

function renderCards(serviceId, cards) {
  const box = $('cards');
  box.replaceChildren();
  for (const card of cards) {
    const el = document.createElement('article');
    el.className = `card ${card.indicator}`;
    el.setAttribute('aria-label', `${card.indicator} card: ${card.summary}`);
    el.append(text('span', card.indicator, 'indicator'), text('h3', card.summary));
    if (card.detail) {
      const detail = document.createElement('div');
      detail.className = 'detail';
      detail.append(renderMarkdown(card.detail));
      el.append(detail);
    }
    el.append(text('p', `Source: ${card.source.label}`, 'source'));
    const actions = document.createElement('div');
    actions.className = 'actions';
    for (const s of card.suggestions ?? []) {
      const b = text('button', `${s.isRecommended ? '★ ' : ''}${s.label}`);
      b.addEventListener('click', async () => {
        for (const a of s.actions ?? []) {
          if (a.type === 'delete' && draft && a.resourceId === `MedicationRequest/${draft.id}`) draft = null;
          if (a.type === 'create' && a.resource?.resourceType === 'MedicationRequest') draft = { ...a.resource, id: `draft-${crypto.randomUUID().slice(0, 8)}` };
        }
        showDraft();
        const { status, body } = await post('feedback', { serviceId, feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: s.uuid }], outcomeTimestamp: new Date().toISOString() }] });
        $('status').textContent = status === 200 ? `Suggestion applied: ${s.label}` : `Suggestion applied: ${s.label}; feedback not recorded. ${problem(status, body)}`;
        el.remove();
      });
      actions.append(b);
    }
    for (const link of card.links ?? []) {
      const b = text('button', link.label, 'secondary');
      b.addEventListener('click', async () => {
        if (link.type !== 'smart') return window.open(link.url, '_blank', 'noopener');
        const { status, body } = await post('launch', { patientId: $('patient').value, appContext: link.appContext });
        if (status === 200) window.location.assign(body.url);
        else $('status').textContent = problem(status, body);
      });
      actions.append(b);
    }
    el.append(actions);
    if (card.overrideReasons?.length) {
      const row = document.createElement('div');
      row.className = 'override';
      const id = `reason-${card.uuid}`;
      const label = text('label', 'Override reason');
      label.htmlFor = id;
      const select = document.createElement('select');
      select.id = id;
      for (const r of card.overrideReasons) select.append(new Option(r.display, r.code));
      const b = text('button', 'Override', 'secondary');
      b.addEventListener('click', async () => {
        const reason = card.overrideReasons.find((r) => r.code === select.value);
        const { status, body } = await post('feedback', { serviceId, feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason }, outcomeTimestamp: new Date().toISOString() }] });
        if (status !== 200) {
          $('status').textContent = `Override not recorded. ${problem(status, body)}`;
          return;
        }
        $('status').textContent = `Overridden: ${reason.display}`;
        el.remove();
      });
      row.append(label, select, b);
      el.append(row);
    }
    box.append(el);
  }
}

async function start() {
  const patients = await (await fetch('api/patients')).json();
  for (const p of patients) $('patient').append(new Option(p.label, p.id));
  for (const d of DRUGS) $('drug').append(new Option(d.display, d.id));
  const story = () => ($('story').textContent = patients.find((p) => p.id === $('patient').value)?.story ?? '');
  $('patient').addEventListener('change', () => { story(); draft = null; showDraft(); $('cards').replaceChildren(); });
  for (const id of ['drug', 'dose', 'every', 'prn']) $(id).addEventListener('change', () => { draft = null; });
  $('order-form').addEventListener('submit', (e) => { e.preventDefault(); if (!draft) newDraft(); runHook('order-select'); });
  $('sign-button').addEventListener('click', () => runHook('order-sign'));
  story();
  showDraft();
}
start();
