// Enrollment tokens: create one for a pool and copy the agent command to run on the session host.
import {api, describe} from '/js/api.js';
import {commandBox, fill, h, table, when} from '/js/ui.js';

const API = '/admin/api/v1/enroll-tokens';

export async function tokensView(view) {
  view.append(h('h1', {}, 'Enrollment tokens'));
  const status = h('p', {role: 'status', class: 'notice'});
  const error = h('p', {class: 'error', role: 'alert'});
  const created = h('div', {id: 'token-created', 'aria-live': 'polite'});
  const holder = h('div');
  const pools = (await api('/admin/api/v1/pools')).data.items.map(p => p.name);
  const pool = h('select', {id: 'token-pool', name: 'pool', required: true},
    h('option', {value: ''}, 'Choose…'), pools.map(name => h('option', {value: name}, name)));
  const uses = h('input', {id: 'token-uses', name: 'uses', type: 'number', min: 1, max: 1000, value: 1});
  const hours = h('input', {id: 'token-hours', name: 'hours', type: 'number', min: 1, max: 720, value: 24});
  const form = h('form', {class: 'inline', id: 'token-form', novalidate: true},
    h('label', {for: 'token-pool'}, 'Pool', pool),
    h('label', {for: 'token-uses'}, 'Hosts it may enroll', uses),
    h('label', {for: 'token-hours'}, 'Valid for (hours)', hours),
    h('button', {type: 'submit'}, 'Create token'));
  view.append(h('p', {class: 'muted'}, 'A token lets a session host\'s agent enroll once into a pool. It is shown '
    + 'only when it is created.'),
  h('section', {class: 'card', 'aria-labelledby': 'token-form-heading'},
    h('h2', {id: 'token-form-heading'}, 'New token'), form, error), created, status, holder);

  async function reload() {
    const {data} = await api(API);
    fill(holder, table('Tokens', ['Pool', 'State', 'Uses left', 'Expires', 'Created by', 'Actions'],
      data.items.map(t => [t.pool, t.state, String(t.uses), when(t.expiresAt), t.createdBy,
        t.state === 'active' ? h('button', {type: 'button', class: 'danger', 'aria-label': `Revoke token for ${t.pool} created ${when(t.createdAt)}`,
          onclick: async () => {
            try {
              await api(`${API}/${encodeURIComponent(t.id)}`, {method: 'DELETE'});
              status.textContent = `Revoked the token for ${t.pool}.`;
              await reload();
            } catch (e) {
              status.textContent = describe(e, 'revoke the token');
            }
          }}, 'Revoke') : ''])));
  }

  form.addEventListener('submit', async event => {
    event.preventDefault();
    error.textContent = '';
    if (!pool.value) {
      error.textContent = 'Choose the pool the host will join.';
      pool.focus();
      return;
    }
    try {
      const {data} = await api(API, {method: 'POST', body: {pool: pool.value, uses: Number(uses.value),
        ttlSeconds: Number(hours.value) * 3600}});
      fill(created, h('section', {class: 'card launch-panel', 'aria-labelledby': 'token-created-heading'},
        h('h2', {id: 'token-created-heading', tabindex: '-1'}, `Token for pool ${data.pool}`),
        commandBox('Run this on the session host (replace <HOST_IP> with the address the appliance reaches it on):',
          data.command),
        h('p', {class: 'muted'}, `Valid until ${when(data.expiresAt)}. It is not shown again.`)));
      document.getElementById('token-created-heading').focus();
      await reload();
    } catch (e) {
      error.textContent = describe(e, 'create the token');
    }
  });
  await reload();
}
