// The audit log, newest first, a page at a time, filtered by actor or target type.
import {api} from '/js/api.js';
import {fill, h, table, when} from '/js/ui.js';

const PAGE = 50;

export async function auditView(view) {
  const actor = h('input', {id: 'audit-actor', type: 'search'});
  const type = h('input', {id: 'audit-type', type: 'search'});
  const holder = h('div');
  const more = h('button', {type: 'button', class: 'secondary', hidden: true}, 'Older entries');
  const form = h('form', {class: 'inline', role: 'search'},
    h('label', {for: 'audit-actor'}, 'Actor', actor),
    h('label', {for: 'audit-type'}, 'Target type', type),
    h('button', {type: 'submit', class: 'secondary'}, 'Filter'));
  view.append(h('h1', {}, 'Audit log'), form, holder, more);
  let rows = [];
  let before = null;

  async function load(reset) {
    const query = new URLSearchParams({limit: String(PAGE)});
    if (actor.value.trim()) {
      query.set('actor', actor.value.trim());
    }
    if (type.value.trim()) {
      query.set('targetType', type.value.trim());
    }
    if (!reset && before !== null) {
      query.set('before', String(before));
    }
    const {data} = await api(`/admin/api/v1/audit?${query}`);
    rows = reset ? data.items : rows.concat(data.items);
    before = data.nextBefore ?? null;
    more.hidden = before === null;
    fill(holder, table('Audit entries', ['When', 'Actor', 'Action', 'Target', 'Node', 'Details'],
      rows.map(e => [when(e.at), e.actor, e.action, `${e.targetType} ${e.targetName || e.targetId || ''}`.trim(),
        e.node || '', h('code', {}, JSON.stringify(e.detail))])));
  }

  form.addEventListener('submit', event => {
    event.preventDefault();
    load(true);
  });
  more.addEventListener('click', () => load(false));
  await load(true);
}
