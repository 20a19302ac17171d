// Small DOM helpers the app's modules share: look up by id, make an element
// with text and attributes (text is always set as text, never as HTML), and a
// table with a header row.

export const $ = (id) => document.getElementById(id);

export function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export function table(headers, rows, attrs = {}) {
  const t = el('table', undefined, attrs);
  const head = el('tr');
  for (const h of headers) head.append(el('th', h, { scope: 'col' }));
  t.append(head);
  for (const r of rows) {
    const tr = el('tr');
    for (const c of r) tr.append(el('td', c ?? ''));
    t.append(tr);
  }
  return t;
}
