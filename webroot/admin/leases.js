// Connection lease revocation. The lease admin API (GET/POST /admin/api/v1/leases/revocations) arrives with
// connection leases; until an appliance serves it, this view says so instead of offering a form that cannot work.
import {api, ApiError, describe} from '/js/api.js';
import {fill, h, table, when} from '/js/ui.js';

const API = '/admin/api/v1/leases/revocations';

export async function leasesView(view) {
  view.append(h('h1', {}, 'Connection leases'));
  let revocations;
  try {
    revocations = (await api(API)).data.items;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      view.append(h('p', {id: 'leases-unavailable'}, 'This appliance does not issue connection leases yet, so there '
        + 'is nothing to revoke.'));
      return;
    }
    throw e;
  }
  const status = h('p', {role: 'status', class: 'notice'});
  const kind = h('select', {id: 'revoke-kind'}, ['user', 'device', 'leaseId'].map(k => h('option', {value: k},
    k === 'leaseId' ? 'lease id' : k)));
  const value = h('input', {id: 'revoke-value', required: true});
  const holder = h('div');
  const form = h('form', {class: 'inline'},
    h('label', {for: 'revoke-kind'}, 'Revoke by', kind),
    h('label', {for: 'revoke-value'}, 'Value', value),
    h('button', {type: 'submit', class: 'danger'}, 'Revoke'));
  view.append(h('p', {class: 'muted'}, 'A revoked lease no longer launches anything, on every node.'), form, status,
    holder);
  const render = items => fill(holder, table('Revocations', ['What', 'Value', 'When', 'By'],
    items.map(r => [r.kind || '', r.value || r.leaseId || r.user || r.device || '', when(r.at || r.createdAt),
      r.actor || r.createdBy || ''])));
  render(revocations);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await api(API, {method: 'POST', body: {[kind.value]: value.value.trim()}});
      status.textContent = `Revoked by ${kind.value}: ${value.value.trim()}.`;
      render((await api(API)).data.items);
    } catch (e) {
      status.textContent = describe(e, 'revoke');
    }
  });
}
