// Recordings of browser terminals on this node (pools with "Record sessions"): filter, play, download, delete.
// Playing and downloading fetch the same file, which the admin API audits as recording.download.
import {api, describe} from '/js/api.js';
import {fill, h, table, when} from '/js/ui.js';
import {confirmAction} from './confirm.js';
import {castPlayer, parseCast} from './player.js';

const BASE = '/admin/api/v1/recordings';

export async function recordingsView(view) {
  const status = h('p', {role: 'status', class: 'notice'});
  const user = h('input', {id: 'recordings-user', name: 'user', type: 'search'});
  const session = h('input', {id: 'recordings-session', name: 'session', type: 'search'});
  const holder = h('div');
  const stage = h('section', {id: 'recording-stage', 'aria-label': 'Playback'});
  const filter = h('form', {class: 'inline', role: 'search'},
    h('label', {for: 'recordings-user'}, 'User', user),
    h('label', {for: 'recordings-session'}, 'Session', session),
    h('button', {type: 'submit', class: 'secondary'}, 'Filter'));
  view.append(h('h1', {}, 'Recordings'),
    h('p', {class: 'muted'}, 'Browser terminals of pools that record sessions, kept on this node.'),
    filter, status, holder, stage);
  let player = null;

  async function reload() {
    const query = new URLSearchParams();
    if (user.value.trim()) {
      query.set('user', user.value.trim());
    }
    if (session.value.trim()) {
      query.set('session', session.value.trim());
    }
    const {data} = await api(`${BASE}?${query}`);
    fill(holder, table('Recordings', ['User', 'Host login', 'Started', 'Size', 'Node', 'Actions'],
      data.items.map(r => [r.username, `${r.login}@${r.host}`, when(r.startedAt), `${r.bytes} bytes`, r.node,
        h('div', {class: 'actions'},
          h('button', {type: 'button', class: 'secondary', 'aria-label': `Play the recording of ${r.username}`,
            onclick: () => play(r)}, 'Play'),
          h('a', {href: `${BASE}/${encodeURIComponent(r.id)}`, download: `${r.id}.cast`}, 'Download'),
          h('button', {type: 'button', class: 'danger', 'aria-label': `Delete the recording of ${r.username}`,
            onclick: () => remove(r)}, 'Delete'))])));
  }

  async function play(recording) {
    player?.dispose();
    player = null;
    try {
      const response = await fetch(`${BASE}/${encodeURIComponent(recording.id)}`,
        {credentials: 'same-origin', cache: 'no-store'});
      if (!response.ok) {
        throw new Error(`the appliance answered ${response.status}`);
      }
      player = castPlayer(parseCast(await response.text()));
      fill(stage, h('h2', {}, `${recording.username} as ${recording.login}@${recording.host}, `
        + when(recording.startedAt)), player.element);
      stage.querySelector('#recording-play').focus();
    } catch (e) {
      status.textContent = `Cannot play the recording: ${e.message}`;
    }
  }

  async function remove(recording) {
    if (!await confirmAction({title: `Delete the recording of ${recording.username}?`,
      message: 'The file is deleted from this node for good; its audit entry stays.', action: 'Delete'})) {
      return;
    }
    try {
      await api(`${BASE}/${encodeURIComponent(recording.id)}`, {method: 'DELETE'});
      status.textContent = `The recording of ${recording.username} is deleted.`;
      await reload();
    } catch (e) {
      status.textContent = describe(e, 'delete the recording');
    }
  }

  filter.addEventListener('submit', event => {
    event.preventDefault();
    reload().catch(e => {
      status.textContent = describe(e, 'list recordings');
    });
  });
  await reload();
}
