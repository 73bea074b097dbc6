// Session history for admins and session admins: the sessions that ended, as the database keeps them (they outlive
// restarts), newest ended first, filtered by user, host, pool and time, a page at a time.
import {api, describe} from '/js/api.js';
import {fill, h, table, when} from '/js/ui.js';

const PAGE = 50;

export async function historyView(view) {
  const status = h('p', {role: 'status', class: 'notice', id: 'history-status'});
  const fields = {
    user: h('input', {id: 'history-user', type: 'search', autocomplete: 'off'}),
    host: h('input', {id: 'history-host', type: 'search', autocomplete: 'off'}),
    pool: h('input', {id: 'history-pool', type: 'search', autocomplete: 'off'}),
    from: h('input', {id: 'history-from', type: 'datetime-local'}),
    to: h('input', {id: 'history-to', type: 'datetime-local'}),
  };
  const holder = h('div');
  const more = h('button', {type: 'button', class: 'secondary', id: 'history-more', hidden: true}, 'Older sessions');
  const form = h('form', {class: 'inline', role: 'search', id: 'history-form'},
    h('label', {for: 'history-user'}, 'User', fields.user),
    h('label', {for: 'history-host'}, 'Host', fields.host),
    h('label', {for: 'history-pool'}, 'Pool', fields.pool),
    h('label', {for: 'history-from'}, 'Open after', fields.from),
    h('label', {for: 'history-to'}, 'Open before', fields.to),
    h('button', {type: 'submit', class: 'secondary'}, 'Filter'));
  view.append(h('h1', {}, 'Session history'),
    h('p', {class: 'muted'}, 'Sessions that ended, newest first, as the database keeps them. '
      + 'Open after and Open before find the sessions that were open at some time between them.'),
    form, status, holder, more);
  let rows = [];
  let cursor = null;

  function query(reset) {
    const query = new URLSearchParams({state: 'ended', limit: String(PAGE)});
    for (const name of ['user', 'host', 'pool']) {
      if (fields[name].value.trim()) {
        query.set(name, fields[name].value.trim());
      }
    }
    for (const name of ['from', 'to']) {
      if (fields[name].value) {
        // the field holds a local time without its offset; the API takes an instant
        query.set(name, new Date(fields[name].value).toISOString());
      }
    }
    if (!reset && cursor !== null) {
      query.set('cursor', cursor);
    }
    return query;
  }

  async function load(reset) {
    const {data} = await api(`/admin/api/v1/sessions?${query(reset)}`);
    rows = reset ? data.items : rows.concat(data.items);
    cursor = data.nextCursor ?? null;
    more.hidden = cursor === null;
    status.textContent = rows.length === 0 ? 'No ended session matches.'
      : `${rows.length} ended session${rows.length === 1 ? '' : 's'}${cursor === null ? '' : ' so far'}.`;
    fill(holder, table('Ended sessions', ['Ended', 'User', 'Resource', 'Pool', 'Host', 'Started', 'Reason'],
      rows.map(s => [when(s.endedAt), s.username, s.resource || s.resourceId, s.pool || '', s.host || s.hostId,
        when(s.createdAt), s.endReason || ''])));
  }

  function reportFailure(e) {
    status.textContent = describe(e, 'read the session history');
  }

  form.addEventListener('submit', event => {
    event.preventDefault();
    load(true).catch(reportFailure);
  });
  more.addEventListener('click', () => load(false).catch(reportFailure));
  await load(true);
}
