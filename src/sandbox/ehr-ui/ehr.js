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
  { id: 'hydromorphone', rxnorm: '897696', display: 'Hydromorphone Hydrochloride 2 MG Oral Tablet' },
];
/** The sig a new order starts with (the prescriber adjusts it): one tablet every 6 hours as needed. */
const DEFAULT_SIG = { dose: 1, every: 6, prn: true };
const $ = (id) => document.getElementById(id);
let draft = null;
/** Cards overridden with a reason for the current draft (shown when it is signed). */
let overridden = [];
/** Warnings and critical cards of the last call that were neither accepted nor overridden. */
let undecided = 0;

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

function sigText(order) {
  const d = order.dosageInstruction?.[0];
  const dose = d?.doseAndRate?.[0]?.doseQuantity?.value;
  const every = d?.timing?.repeat?.period;
  if (!dose || !every) return d?.text ?? 'no sig';
  return `${dose} ${dose === 1 ? 'tablet' : 'tablets'} every ${every} hours${d.asNeededBoolean ? ' as needed' : ''}`;
}

function showDraft() {
  $('draft').textContent = draft ? `Draft: ${draft.medicationCodeableConcept.text}, ${sigText(draft)}` : 'No draft order.';
}

/**
 * After a suggestion creates an order, the form shows that order: its drug is
 * selected, and an order created without a usable dose gets the default sig,
 * so what the prescriber sees is what would be signed.
 */
function followDraft(created) {
  const code = created.medicationCodeableConcept?.coding?.[0];
  let drug = DRUGS.find((d) => d.rxnorm === code?.code);
  if (!drug) {
    drug = { id: `rx-${code?.code ?? 'unknown'}`, rxnorm: code?.code, display: created.medicationCodeableConcept?.text ?? code?.display ?? 'New medication' };
    DRUGS.push(drug);
    $('drug').append(new Option(drug.display, drug.id));
  }
  $('drug').value = drug.id;
  const d = created.dosageInstruction?.[0];
  const dose = d?.doseAndRate?.[0]?.doseQuantity?.value;
  const every = d?.timing?.repeat?.period;
  $('dose').value = String(dose ?? DEFAULT_SIG.dose);
  $('every').value = String(every ?? DEFAULT_SIG.every);
  $('prn').checked = dose ? Boolean(d?.asNeededBoolean) : DEFAULT_SIG.prn;
  newDraft();
}

/** Buttons are disabled, with a visible busy state, while a call is running. */
async function busy(work) {
  const buttons = [...document.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  document.body.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    for (const b of buttons) b.disabled = false;
    document.body.removeAttribute('aria-busy');
  }
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
  const { status, body } = await busy(() => post('hook', { hook, patientId: $('patient').value, drafts: [draft] }));
  if (status !== 200) {
    $('status').textContent = problem(status, body);
    return;
  }
  renderCards(body.serviceId, body.cards);
  undecided = body.cards.filter((c) => c.indicator !== 'info').length;
  $('status').textContent = hook === 'order-sign' ? signOutcome(body.cards) : `${body.cards.length} card(s) from ${body.serviceId}`;
}

/** The order is signed when no warning or critical card is left undecided; say which cards were overridden. */
function signOutcome(cards) {
  if (undecided > 0) {
    return `Not signed: ${undecided} warning card(s) need a decision (accept a suggestion or override with a reason), then sign again. ${cards.length} card(s) in all.`;
  }
  const order = `${draft.medicationCodeableConcept.text}, ${sigText(draft)}`;
  const overrides = overridden.length ? ` Overridden: ${overridden.map((o) => `"${o.summary}" (${o.reason})`).join('; ')}.` : ' No card was overridden.';
  return `Order signed: ${order}.${overrides}`;
}

function decided() {
  undecided = Math.max(0, undecided - 1);
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
        // CDS Hooks actions are applied in order: the service sends create before delete.
        let created;
        const tests = [];
        for (const a of s.actions ?? []) {
          if (a.type === 'create' && a.resource?.resourceType === 'MedicationRequest') created = a.resource;
          // A test order (a ServiceRequest) is placed beside the drug draft, which stays as it is.
          if (a.type === 'create' && a.resource?.resourceType === 'ServiceRequest') tests.push(a.resource.code?.text ?? a.resource.code?.coding?.[0]?.display ?? 'a test');
          if (a.type === 'delete' && draft && a.resourceId === `MedicationRequest/${draft.id}` && !created) draft = null;
        }
        if (created) {
          followDraft(created);
          overridden = [];
        }
        showDraft();
        if (card.indicator !== 'info') decided();
        const { status, body } = await busy(() => post('feedback', { serviceId, feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: s.uuid }], outcomeTimestamp: new Date().toISOString() }] }));
        const applied = tests.length ? `Ordered: ${tests.join(', ')}` : `Suggestion applied: ${s.label}`;
        $('status').textContent = status === 200 ? applied : `${applied}; feedback not recorded. ${problem(status, body)}`;
        el.remove();
      });
      actions.append(b);
    }
    for (const link of card.links ?? []) {
      const b = text('button', link.label, 'secondary');
      b.addEventListener('click', async () => {
        // Links open beside the order screen, so the draft is never lost.
        if (link.type !== 'smart') return window.open(link.url, '_blank', 'noopener');
        const tab = window.open('', '_blank');
        const { status, body } = await busy(() => post('launch', { patientId: $('patient').value, appContext: link.appContext }));
        if (status === 200 && tab) tab.location.assign(body.url);
        else {
          tab?.close();
          $('status').textContent = status === 200 ? 'The browser blocked the new tab: allow pop-ups for the demo EHR.' : problem(status, body);
        }
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
      // No reason is preselected: the prescriber chooses one.
      select.append(new Option('Choose a reason', ''));
      for (const r of card.overrideReasons) select.append(new Option(r.display, r.code));
      const b = text('button', 'Override', 'secondary');
      b.addEventListener('click', async () => {
        const reason = card.overrideReasons.find((r) => r.code === select.value);
        if (!reason) {
          $('status').textContent = 'Choose an override reason first.';
          select.focus();
          return;
        }
        const { status, body } = await busy(() => post('feedback', { serviceId, feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason }, outcomeTimestamp: new Date().toISOString() }] }));
        if (status !== 200) {
          $('status').textContent = `Override not recorded. ${problem(status, body)}`;
          return;
        }
        overridden.push({ summary: card.summary, reason: reason.display });
        if (card.indicator !== 'info') decided();
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
  const reset = () => { draft = null; overridden = []; undecided = 0; };
  $('patient').addEventListener('change', () => { story(); reset(); showDraft(); $('cards').replaceChildren(); });
  for (const id of ['drug', 'dose', 'every', 'prn']) $(id).addEventListener('change', () => { reset(); newDraft(); });
  $('order-form').addEventListener('submit', (e) => { e.preventDefault(); if (!draft) newDraft(); runHook('order-select'); });
  $('sign-button').addEventListener('click', () => runHook('order-sign'));
  story();
  showDraft();
}
start();
