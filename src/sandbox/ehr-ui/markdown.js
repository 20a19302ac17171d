// The small part of GitHub-flavoured markdown the service's cards use
// (paragraphs, **bold**, "- " lists, pipe tables, backslash escapes), turned
// into DOM nodes. Never innerHTML: card text is shown as text, so nothing in a
// card can become markup in the EHR page.

const ENTITIES = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };

function decodeEntities(text) {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (m) => ENTITIES[m]);
}

/** Inline text: backslash escapes and **bold**. */
function inline(text) {
  const nodes = [];
  let plain = '';
  let bold = null;
  const flush = () => {
    if (!plain) return;
    (bold ?? nodes).push(document.createTextNode(plain));
    plain = '';
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      plain += text[++i];
    } else if (text.startsWith('**', i)) {
      flush();
      if (bold) {
        const strong = document.createElement('strong');
        strong.append(...bold);
        nodes.push(strong);
        bold = null;
      } else {
        bold = [];
      }
      i++;
    } else {
      plain += text[i];
    }
  }
  flush();
  if (bold) nodes.push(document.createTextNode('**'), ...bold);
  return nodes;
}

/** Splits a table row on the pipes that are not escaped. */
function cells(line) {
  const out = [];
  let cell = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\' && i + 1 < line.length) cell += line[i] + line[++i];
    else if (line[i] === '|') {
      out.push(cell.trim());
      cell = '';
    } else cell += line[i];
  }
  out.push(cell.trim());
  return out.slice(1, -1);
}

function table(lines) {
  const t = document.createElement('table');
  const rows = lines.filter((l, i) => !(i === 1 && /^[\s|:-]+$/.test(l)));
  rows.forEach((line, r) => {
    const tr = document.createElement('tr');
    for (const c of cells(line)) {
      const cell = document.createElement(r === 0 ? 'th' : 'td');
      if (r === 0) cell.scope = 'col';
      cell.append(...inline(c));
      tr.append(cell);
    }
    t.append(tr);
  });
  return t;
}

export function renderMarkdown(markdown) {
  const fragment = document.createDocumentFragment();
  for (const block of decodeEntities(markdown).split(/\n{2,}/)) {
    const lines = block.split('\n').filter((l) => l.trim());
    if (!lines.length) continue;
    if (lines.every((l) => l.trim().startsWith('|'))) {
      fragment.append(table(lines.map((l) => l.trim())));
    } else if (lines.every((l) => l.startsWith('- '))) {
      const ul = document.createElement('ul');
      for (const l of lines) {
        const li = document.createElement('li');
        li.append(...inline(l.slice(2)));
        ul.append(li);
      }
      fragment.append(ul);
    } else {
      const p = document.createElement('p');
      lines.forEach((l, i) => p.append(...(i ? [document.createElement('br')] : []), ...inline(l)));
      fragment.append(p);
    }
  }
  return fragment;
}
