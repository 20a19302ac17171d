// N-of-1 trials (issue 22): plan a trial with the patient, record daily
// scores on a phone, and read the CENT 2015 report. The service checks and
// randomises the plan (POST /app-api/nof1/plan: pairs, washout, MME per arm,
// CYP2D6 refusal of codeine/tramadol for poor and ultrarapid metabolizers) and
// analyses it (POST /app-api/nof1/report); the app writes the period
// MedicationRequests, the CarePlan and the daily Observations (basedOn the
// CarePlan) to the EHR with its own token. The representation is documented
// in src/clinical/nof1/careplan.ts and the README. Trials are presented as a
// way to decide together, not as a promise of relief.

import { $, el, table } from './dom.js';
import { renderReport } from './nof1-report.js';

const CATEGORY = 'urn:pain-cds:nof1|nof1-trial';
// The extensions of src/clinical/nof1/careplan.ts (NOF1_PERIOD_EXTENSION, NOF1_STOP_EXTENSION).
const PERIOD_EXTENSION = 'urn:pain-cds:nof1-period';
const TRIAL_EXTENSION = 'urn:pain-cds:nof1-trial';
const STOP_EXTENSION = 'urn:pain-cds:nof1-early-stop';
/** The patient's calendar day where the app runs (a score entered at 20:00 in New York belongs to that day, not to UTC's next one). */
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const sub = (ext, url) => (ext?.extension ?? []).find((e) => e.url === url);

/** The periods written on a trial CarePlan: index, arm, dates. */
function periodsOf(cp) {
  return (cp.activity ?? []).map((a) => {
    const pe = (a.extension ?? []).find((e) => e.url === PERIOD_EXTENSION);
    return { index: sub(pe, 'index')?.valueInteger, arm: sub(pe, 'arm')?.valueCode, start: sub(pe, 'start')?.valueDate, end: sub(pe, 'end')?.valueDate };
  });
}
const trialExt = (cp) => (cp.extension ?? []).find((e) => e.url === TRIAL_EXTENSION);
const blindedOf = (cp) => sub(trialExt(cp), 'blinded')?.valueBoolean === true;
const primaryOf = (cp) => sub(trialExt(cp), 'primaryOutcome')?.valueCoding;

/** A 0-10 scale as eleven large buttons (radio inputs): one tap per value. */
function tapScale(name, legend) {
  const box = el('fieldset', undefined, { class: 'taps', id: `nof1-${name}` });
  box.append(el('legend', legend));
  for (let v = 0; v <= 10; v++) {
    const label = el('label', undefined, { class: 'tap' });
    label.append(el('input', undefined, { type: 'radio', name, value: String(v), 'aria-label': `${legend}: ${v}` }), el('span', String(v)));
    box.append(label);
  }
  return box;
}

function armFrom(f, key) {
  const kind = f[`${key}-kind`].value;
  const drug = f[`${key}-drug`].value.trim();
  if (kind === 'non-drug') return { label: f[`${key}-label`].value.trim() || drug || 'Non-drug treatment', kind };
  const dose = { amount: Number(f[`${key}-amount`].value), unit: f[`${key}-unit`].value.trim() || 'tablet', timesPerDay: Number(f[`${key}-times`].value) };
  const code = f[`${key}-rxnorm`].value.trim();
  const label = f[`${key}-label`].value.trim() || `${drug}, ${dose.amount} ${dose.unit} ${dose.timesPerDay} times a day`;
  return { label, kind, medication: { display: drug, ...(code ? { code } : {}) }, dose };
}

export function setUpNof1({ client, token, explain, summary }) {
  const codes = () => summary().nof1.table;
  let trial = null; // { carePlan, observations }
  let planned = null;
  let scaleFor = () => {};

  const post = async (path, body) => {
    const res = await fetch(`/app-api/nof1/${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error((json.issue ?? []).map((i) => i.diagnostics).join(' ') || `the service answered ${res.status}`), { outcome: true });
    return json;
  };
  const say = (id, ok, text) => {
    $(id).className = ok ? 'ok' : 'error';
    $(id).textContent = text;
  };
  const failed = (id, what, error) => {
    console.error(`${what} failed:`, error?.message ?? error);
    say(id, false, error?.outcome ? error.message : explain(error));
  };

  async function load() {
    // This patient's trials only, whatever the server would return for a search without the patient (a user-scoped token, an open server).
    const patientId = client.patient.id;
    const own = (r) => (r.subject?.reference ?? '').replace(/\/_history\/[^/]+$/, '').endsWith(`Patient/${patientId}`);
    const plans = (await client.request(`CarePlan?patient=${encodeURIComponent(patientId)}&category=${encodeURIComponent(CATEGORY)}&_sort=-_lastUpdated`, { flat: true })).filter(own);
    const cp = plans.find((p) => p.status === 'active') ?? plans[0];
    trial = cp
      ? { carePlan: cp, observations: (await client.request(`Observation?patient=${encodeURIComponent(patientId)}&based-on=CarePlan/${cp.id}&_count=1000`, { flat: true, pageLimit: 0 })).filter(own) }
      : null;
    await render();
  }

  async function render() {
    const current = $('nof1-current');
    current.replaceChildren();
    $('nof1-daily').hidden = !trial || trial.carePlan.status !== 'active';
    $('nof1-stop-form').hidden = !trial || trial.carePlan.status !== 'active';
    $('nof1-complete').hidden = !trial || trial.carePlan.status !== 'active' || !(periodsOf(trial.carePlan).at(-1)?.end < today());
    if (!trial) {
      current.append(el('p', 'No N-of-1 trial on record. Plan one with the patient below.', { id: 'nof1-none' }));
      $('nof1-report').replaceChildren();
      return;
    }
    scaleFor(trial.carePlan);
    const periods = periodsOf(trial.carePlan);
    const now = periods.find((p) => p.start <= today() && today() <= p.end);
    const blinded = blindedOf(trial.carePlan);
    const where = now ? `Today is in period ${now.index + 1} of ${periods.length}${blinded ? ' (blinded: the pharmacy holds the schedule)' : `: treatment ${now.arm}`}.` : `The trial runs from ${periods[0].start} to ${periods.at(-1).end}.`;
    current.append(el('p', `${trial.carePlan.title} (CarePlan/${trial.carePlan.id}, ${trial.carePlan.status}). ${where}`, { id: 'nof1-trial-line' }));
    // A blinded trial's report names each period's treatment and compares the arms: it waits until the trial has ended.
    if (blinded && trial.carePlan.status === 'active') {
      $('nof1-report').replaceChildren(el('p', 'Blinded trial: the report, which shows which treatment each period had, opens once the trial has ended or stopped.', { id: 'nof1-report-blinded' }));
      return;
    }
    try {
      renderReport($('nof1-report'), await post('report', { carePlan: trial.carePlan, observations: trial.observations, today: today() }));
    } catch (error) {
      failed('nof1-daily-result', 'The report', error);
      return false;
    }
    return true;
  }

  // The planner: the service checks and randomises; the arms' MME and CYP2D6 check are shown before saving.
  const form = $('nof1-plan');
  if (!form.elements.start.value) form.elements.start.value = today();
  for (const key of ['a', 'b']) {
    const sync = () => {
      const drug = form.elements[`${key}-kind`].value === 'drug';
      for (const f of ['drug', 'rxnorm', 'amount', 'unit', 'times']) form.elements[`${key}-${f}`].disabled = !drug;
    };
    form.elements[`${key}-kind`].addEventListener('change', sync);
    sync();
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = form.elements;
    const plan = {
      patientId: client.patient.id,
      start: f.start.value,
      pairs: Number(f.pairs.value),
      periodDays: Number(f['period-days'].value),
      washoutDays: Number(f.washout.value),
      ...(f.seed.value !== '' ? { seed: Number(f.seed.value) } : {}),
      arms: { A: armFrom(f, 'a'), B: armFrom(f, 'b') },
      blinded: f.blinded.checked,
      blindingNote: f['blinding-note'].value.trim(),
      separateDispensing: f.separate.checked,
      ...(f.mcid.value !== '' ? { mcid: Number(f.mcid.value) } : {}),
      primaryOutcome: f.primary.value,
    };
    $('nof1-arms').replaceChildren();
    $('nof1-save').hidden = true;
    try {
      planned = await post('plan', { fhirServer: client.state.serverUrl, plan, ...(f.weight.value !== '' ? { weightKg: Number(f.weight.value) } : {}) });
      const box = $('nof1-arms');
      box.append(table(['Arm', 'Treatment', 'MME per day', 'CYP2D6'], planned.arms.map((a) => [a.arm, a.label, a.mmeText, a.cyp2d6.text]), { id: 'nof1-arm-table' }));
      // The in-silico trial before the real one: what the pharmacokinetic twin predicts for each drug arm (information only).
      if (planned.exposures.length) {
        box.append(
          el('h3', 'Simulated exposure of each drug arm (illustration for discussion, not a dosing tool)'),
          table(['Arm', 'Predicted for this patient'], planned.exposures.map((x) => [x.arm, x.text]), { id: 'nof1-exposure-table' }),
        );
      }
      box.append(el('p', `Randomised with seed ${planned.randomisation.seed}: blocks ${planned.randomisation.order}. ${planned.pairsAdvice}`, { id: 'nof1-order' }));
      box.append(table(['Period', 'Treatment', 'Dates'], planned.periods.map((p) => [String(p.index + 1), p.arm, `${p.start} to ${p.end}`]), { id: 'nof1-schedule' }));
      if (plan.blinded) box.append(el('p', 'Blinded: give this schedule to the pharmacy, not to the patient.', { class: 'warn' }));
      $('nof1-save').hidden = false;
      say('nof1-plan-result', true, 'The plan passed the checks. Review it with the patient, then save it to the record.');
    } catch (error) {
      failed('nof1-plan-result', 'Planning the trial', error);
    }
  });

  // Saving: the period orders first (a patient token may not post a transaction), then the CarePlan that links them.
  $('nof1-save').addEventListener('click', async () => {
    try {
      const ids = new Map();
      const created = [];
      let saved;
      try {
        for (const mr of planned.medicationRequests) {
          const { id, ...rest } = mr;
          const order = await client.create(rest);
          created.push(order);
          ids.set(`MedicationRequest/${id}`, `MedicationRequest/${order.id}`);
        }
        const carePlan = JSON.parse(JSON.stringify(planned.carePlan));
        for (const a of carePlan.activity) if (a.reference) a.reference.reference = ids.get(a.reference.reference);
        saved = await client.create(carePlan);
      } catch (error) {
        // Orders without their trial would each count in the dose total: withdraw those already written (best effort).
        await Promise.allSettled(created.map((o) => client.update({ ...o, status: 'entered-in-error' })));
        throw error;
      }
      say('nof1-plan-result', true, `Trial saved (CarePlan/${saved.id}) with ${ids.size} period order(s).`);
      $('nof1-save').hidden = true;
      await load();
    } catch (error) {
      failed('nof1-plan-result', 'Saving the trial', error);
    }
  });

  // Daily entry: one tap per value, large targets; a serious adverse event ends the arm (the trial stops, reason adverse event).
  const daily = $('nof1-daily');
  const t = codes();
  // The scales follow the trial's primary outcome: pain alone, or the PEG's three items (asked about today).
  let outcomes = [];
  let peg = null;
  scaleFor = (cp) => {
    const primary = primaryOf(cp);
    peg = t.outcomes.alternativePrimary.find((o) => o.system === primary?.system && o.code === primary?.code) ?? null;
    outcomes = t.outcomes.secondary;
    const scales = $('nof1-scales');
    scales.replaceChildren();
    if (peg) peg.items.forEach((item, i) => scales.append(tapScale(`peg-${i}`, item.display)));
    else scales.append(tapScale(t.outcomes.primary.key, 'Pain today, 0 (none) to 10 (worst)'));
    for (const o of outcomes) scales.append(tapScale(o.key, o.display));
  };
  if (!daily.elements.day.value) daily.elements.day.value = today();
  daily.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = daily.elements;
    const day = f.day.value || today();
    const ref = `CarePlan/${trial.carePlan.id}`;
    const obs = (code, value) => ({
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey', display: 'Survey' }] }],
      code: { coding: [{ system: code.system, code: code.code, display: code.display }], text: code.display },
      subject: { reference: `Patient/${client.patient.id}` },
      basedOn: [{ reference: ref }],
      effectiveDateTime: day,
      ...(typeof value === 'number' ? { valueInteger: value } : typeof value === 'boolean' ? { valueBoolean: value } : { valueString: value }),
    });
    const writes = [];
    if (peg) {
      const items = peg.items.map((_, i) => f[`peg-${i}`].value);
      if (items.some((v) => v !== '') && items.some((v) => v === '')) return say('nof1-daily-result', false, 'Tap all three PEG questions, or none.');
      if (items.every((v) => v !== '')) {
        const mean = Math.round((items.reduce((s, v) => s + Number(v), 0) / items.length) * 10) / 10;
        const o = obs(peg, 0);
        delete o.valueInteger;
        writes.push({ ...o, valueQuantity: { value: mean, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' }, component: peg.items.map((item, i) => ({ code: { coding: [{ system: peg.system, code: item.code, display: item.display }] }, valueInteger: Number(items[i]) })) });
      }
    } else if (f[t.outcomes.primary.key].value !== '') writes.push(obs(t.outcomes.primary, Number(f[t.outcomes.primary.key].value)));
    writes.push(...outcomes.filter((o) => f[o.key].value !== '').map((o) => obs(o, Number(f[o.key].value))));
    if (f.took.value !== '') writes.push(obs(t.outcomes.adherence, f.took.value === 'yes'));
    const sae = f.sae.checked;
    if (sae) writes.push(obs(t.outcomes.seriousAdverseEvent, f['sae-text'].value.trim() || 'serious adverse event'));
    if (!writes.length) return say('nof1-daily-result', false, 'Tap at least one score.');
    try {
      for (const o of writes) trial.observations.push(await client.create(o));
      if (sae) await stop({ code: 'adverse-event', serious: true, note: f['sae-text'].value.trim(), date: day });
      for (const input of daily.querySelectorAll('#nof1-scales input, #nof1-took input')) input.checked = false;
      // The report first, then the message: what the message says is already on screen when it appears (a report that
      // could not be shown keeps its own message).
      if ((await render()) !== false) say('nof1-daily-result', true, sae ? `Saved for ${day}. If breathing is slow or shallow, or the person is very hard to wake, call the emergency number now (and give naloxone if it is at hand). Otherwise tell the care team today. The serious side effect ends this treatment and the trial, and it is in the report.` : `Saved for ${day}.`);
    } catch (error) {
      failed('nof1-daily-result', 'Saving the scores', error);
    }
  });

  // Stopping early: the reason (adverse event, clear answer, patient's wish) is recorded on the CarePlan, which is revoked.
  async function stop({ code, serious, note, date }) {
    const reason = t.stopReasons.codes.find((c) => c.code === code);
    const periods = periodsOf(trial.carePlan);
    const arm = periods.find((p) => p.start <= date && date <= p.end)?.arm;
    const stopExt = {
      url: STOP_EXTENSION,
      extension: [
        { url: 'date', valueDate: date },
        { url: 'reason', valueCoding: { system: t.stopReasons.system, code, display: reason?.display ?? code } },
        { url: 'serious', valueBoolean: serious },
        ...(arm ? [{ url: 'arm', valueCode: arm }] : []),
        ...(note ? [{ url: 'note', valueString: note }] : []),
      ],
    };
    // The orders first: if ending them fails part way, the trial is still running (and counted as one), never revoked with
    // its orders still active and each summed in the dose total.
    await endOrders(date);
    const updated = { ...trial.carePlan, status: 'revoked', extension: [...(trial.carePlan.extension ?? []).filter((e) => e.url !== STOP_EXTENSION), stopExt] };
    trial.carePlan = await client.update(updated);
  }

  // The period orders end with the trial, so the dose total no longer counts them: past periods completed,
  // the current one stopped, later ones cancelled (only orders still active are changed).
  async function endOrders(date) {
    const byActivity = periodsOf(trial.carePlan);
    for (const [i, a] of (trial.carePlan.activity ?? []).entries()) {
      const p = byActivity[i];
      if (!a.reference?.reference || !p?.start) continue;
      const mr = await client.request(a.reference.reference);
      if (mr.status !== 'active') continue;
      await client.update({ ...mr, status: p.end < date ? 'completed' : p.start > date ? 'cancelled' : 'stopped' });
    }
  }
  const stopForm = $('nof1-stop-form');
  stopForm.elements.reason.replaceChildren(...t.stopReasons.codes.map((c) => new Option(c.display, c.code)));
  stopForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await stop({ code: stopForm.elements.reason.value, serious: false, note: stopForm.elements.note.value.trim(), date: today() });
      if ((await render()) !== false) say('nof1-daily-result', true, 'The trial is stopped; the reason is in the report.');
    } catch (error) {
      failed('nof1-daily-result', 'Stopping the trial', error);
    }
  });
  $('nof1-print').addEventListener('click', () => window.print());
  // A trial past its last period is closed as completed (with its orders), so it no longer counts as running.
  $('nof1-complete').addEventListener('click', async () => {
    try {
      await endOrders(today());
      trial.carePlan = await client.update({ ...trial.carePlan, status: 'completed' });
      if ((await render()) !== false) say('nof1-daily-result', true, 'The trial is closed as completed.');
    } catch (error) {
      failed('nof1-daily-result', 'Closing the trial', error);
    }
  });

  return load().catch((error) => failed('nof1-daily-result', 'Reading the trial', error));
}
