// Connection lease revocation (GET/POST /admin/api/v1/leases/revocations, see docs/leases.md): revoke every lease
// of a user or of a device key issued until now, or one lease by id. An appliance that does not serve the lease
// admin API (404) is said so instead of offering a form that cannot work.
import {api, ApiError, describe} from '/js/api.js';
import {fill, h, table, when} from '/js/ui.js';
import {confirmAction} from './confirm.js';

const API = '/admin/api/v1/leases/revocations';
const KINDS = {user: 'user (name or id)', device: 'device key thumbprint', lease: 'lease id'};
/** What a revocation ends, said before it is made: it cannot be taken back. */
const ENDS = {
  user: value => `Every connection lease of user ${value} issued until now stops working, on every node. `
    + 'Their next sign-in gets a new one.',
  device: value => `Every connection lease bound to device key ${value} issued until now stops working, on every `
    + 'node.',
  lease: value => `Connection lease ${value} stops working, on every node.`,
};

export async function leasesView(view) {
  view.append(h('h1', {}, 'Connection leases'));
  let revocations;
  try {
    revocations = (await api(API)).data.items;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      view.append(h('p', {id: 'leases-unavailable'}, 'This appliance does not issue connection leases, so there '
        + 'is nothing to revoke.'));
      return;
    }
    throw e;
  }
  const status = h('p', {role: 'status', class: 'notice'});
  const kind = h('select', {id: 'revoke-kind'}, Object.entries(KINDS).map(([k, label]) => h('option', {value: k},
    label)));
  const value = h('input', {id: 'revoke-value', required: true});
  const reason = h('input', {id: 'revoke-reason'});
  const holder = h('div');
  const form = h('form', {class: 'inline'},
    h('label', {for: 'revoke-kind'}, 'Revoke by', kind),
    h('label', {for: 'revoke-value'}, 'Value', value),
    h('label', {for: 'revoke-reason'}, 'Reason', reason),
    h('button', {type: 'submit', class: 'danger'}, 'Revoke'));
  view.append(h('p', {class: 'muted'}, 'A revoked lease no longer launches anything, on every node. A user or '
    + 'device revocation ends the leases issued until now; the next sign-in gets a new one.'), form, status, holder);
  const render = items => fill(holder, table('Revocations', ['What', 'Value', 'Revoked at', 'By', 'Reason'],
    items.map(r => [r.kind, r.subject, when(r.revokedAt), r.createdBy, r.reason])));
  render(revocations);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const body = {[kind.value]: value.value.trim()};
    if (body[kind.value] && !await confirmAction({title: 'Revoke connection leases?',
      message: `${ENDS[kind.value](body[kind.value])} A revocation cannot be taken back.`, action: 'Revoke'})) {
      return;
    }
    if (reason.value.trim()) {
      body.reason = reason.value.trim();
    }
    try {
      await api(API, {method: 'POST', body});
      status.textContent = `Revoked by ${kind.value}: ${value.value.trim()}.`;
      render((await api(API)).data.items);
    } catch (e) {
      status.textContent = describe(e, 'revoke');
    }
  });
}
