// Small DOM helpers shared by the store and the console. Text always goes in as text, never as HTML.

/** Creates an element: h('button', {class: 'x', onclick: fn}, 'Label', child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A local date and time for an ISO instant, or '' when there is none. */
export function when(iso) {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/**
 * A table with a caption, headings and rows of cells, in a keyboard-scrollable region. A stacked table becomes one
 * card per row on a phone-sized screen (each cell labelled with its heading, see outpost.css), instead of a wide
 * table to scroll sideways; its explicit roles keep it a table for screen readers once CSS changes its display.
 */
export function table(caption, headings, rows, {stacked = false} = {}) {
  const role = name => (stacked ? name : null);
  return h('div', {class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0'},
    h('table', {class: stacked ? 'stacked' : null, role: role('table')},
      h('caption', {}, caption),
      h('thead', {role: role('rowgroup')}, h('tr', {role: role('row')},
        headings.map(text => h('th', {scope: 'col', role: role('columnheader')}, text)))),
      h('tbody', {role: role('rowgroup')}, rows.length === 0
        ? h('tr', {role: role('row')}, h('td', {colspan: String(headings.length), role: role('cell')}, 'None.'))
        : rows.map(cells => h('tr', {role: role('row')}, cells.map((cell, i) => h('td', {role: role('cell'),
          'data-label': stacked ? headings[i] : null}, cell)))))));
}

/** A read-only command with a button that copies it. */
export function commandBox(label, text) {
  const status = h('span', {class: 'muted', role: 'status'});
  const copy = h('button', {type: 'button', class: 'secondary', onclick: () => copyText(text, status)}, 'Copy');
  return h('div', {class: 'command-box'},
    h('p', {}, label),
    h('code', {class: 'command'}, text),
    h('div', {class: 'actions'}, copy, status));
}

async function copyText(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    status.textContent = 'Copy is not allowed here: select the command and copy it by hand.';
  }
}

/** Moves keyboard focus to a heading after a view changes, so screen readers announce it. */
export function focusHeading(container) {
  const heading = container.querySelector('h1, h2');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: false});
  }
}
