// Dashboard (nodes and their state, hub link, mode, hosts, sessions) and the hosts list with drain / maintenance.
import {api, describe} from '/js/api.js';
import {fill, h, table, when} from '/js/ui.js';
import {confirmAction} from './confirm.js';

const API = '/admin/api/v1/';
/**
 * What a host's load is: its agent reports the 1-minute load average of the machine (processes running or waiting
 * for a CPU), not a share of its sessions; it is worth a look when it stays above the machine's number of cores.
 */
const LOAD_MEANS = '1-minute load average as the host reports it: processes running or waiting for a CPU. Above '
  + 'the host\'s number of cores it is overloaded. How full a host is shows under Sessions.';

export async function dashboardView(view) {
  view.append(h('h1', {}, 'Dashboard'));
  const [status, nodes, hosts, sessions] = await Promise.all([
    api('/api/v1/status').then(r => r.data),
    api(API + 'nodes').then(r => r.data),
    api(API + 'hosts?enrolled=true').then(r => r.data.items),
    api(API + 'sessions?open=true').then(r => r.data.items),
  ]);
  const count = state => hosts.filter(host => host.state === state).length;
  const live = hosts.filter(host => host.state !== 'lost');
  const load = live.length === 0 ? 0 : live.reduce((sum, host) => sum + host.load, 0) / live.length;
  view.append(
    h('div', {class: 'tiles'},
      tile('Mode', status.mode, status.mode === 'hub' ? 'normal: the hub brokers' : 'outage: brokering locally'),
      tile('Hub link', status.hub && status.hub.reachable ? 'up' : 'down', `location ${status.location}`),
      tile('Nodes', nodes.items.length, `cluster ${nodes.cluster}`),
      tile('Hosts', hosts.length, `${count('registered')} registered, ${count('draining')} draining, `
        + `${count('maintenance')} in maintenance, ${count('lost')} lost`),
      tile('Average load', formatLoad(load), 'mean 1-minute load average of the registered hosts (processes '
        + 'running or waiting for a CPU; compare with their cores)'),
      tile('Open sessions', sessions.length, 'launching, connected or disconnected')),
    table('Nodes', ['Node', 'Address', 'Role', 'Version', 'State', 'Database', 'Agents', 'Streams'],
      nodes.items.map(node => {
        const status = node.status || {};
        // the name people know the node by; its id (kept across restarts) on hover, as the audit detail has it
        return [h('span', {title: node.node ? `node id ${node.node}` : null},
          `${node.name || node.node || node.id}${node.local ? ' (this node)' : ''}`), node.address,
          node.leader ? 'leader' : 'member', node.version || '', nodeState(status), status.db || '',
          status.agents ?? '', status.gatewayStreams ?? ''];
      })),
    hostTable(hosts, null, null));
}

export async function hostsView(view) {
  const status = h('p', {role: 'status', class: 'notice'});
  const holder = h('div');
  view.append(h('h1', {}, 'Hosts'), h('p', {class: 'muted'}, 'Enrolled session hosts. A lost host\'s agent is not '
    + 'linked now (stopped, unreachable, or silent too long). Enroll more under Enrollment tokens.'), status, holder);
  async function reload() {
    fill(holder, hostTable((await api(API + 'hosts?enrolled=true')).data.items, async (host, change, label) => {
      try {
        await api(`${API}hosts/${encodeURIComponent(host.id)}`, {method: 'PUT', body: change});
        status.textContent = `${host.name}: ${label}.`;
        await reload();
      } catch (e) {
        status.textContent = describe(e, `change host ${host.name}`);
      }
    }, async host => {
      if (!await confirmAction({title: `Delete host ${host.name}?`, message: `${host.name} leaves the site: its `
        + 'agent\'s certificate is refused from now on. To bring the machine back, enroll it again with a new token.',
      action: 'Delete'})) {
        return;
      }
      try {
        await api(`${API}hosts/${encodeURIComponent(host.id)}`, {method: 'DELETE'});
        status.textContent = `Deleted host ${host.name}.`;
        await reload();
      } catch (e) {
        status.textContent = describe(e, `delete host ${host.name}`);
      }
    }));
  }
  await reload();
}

/**
 * The hosts with their state; with act (drain, maintenance) and forget (delete a lost host), their actions. A lost
 * host's agent is not linked, so only deleting it means anything.
 */
function hostTable(hosts, act, forget) {
  const headings = ['Host', 'Pool', 'State', h('abbr', {title: LOAD_MEANS}, 'Load (1 min)'), 'Sessions', 'Last seen'];
  return h('div', {},
    table('Hosts', act ? [...headings, 'Actions'] : headings, hosts.map(host => {
      const lost = host.state === 'lost';
      const cells = [host.name, host.pool, host.state, lost ? '' : formatLoad(host.load),
        lost ? '' : `${host.sessions} of ${host.maxSessions}`, when(host.lastSeen)];
      if (act && lost) {
        cells.push(h('div', {class: 'actions'}, h('button', {type: 'button', class: 'danger',
          'aria-label': `Delete ${host.name}`, onclick: () => forget(host)}, 'Delete')));
      } else if (act) {
        cells.push(hostActions(host, act));
      }
      return cells;
    })),
    h('p', {class: 'muted', id: 'load-means'}, `Load: ${LOAD_MEANS}`));
}

/** A load average as people read it: two decimals, and no percent sign (it is not a share of anything). */
function formatLoad(load) {
  return Number.isFinite(load) && load >= 0 ? load.toFixed(2) : '';
}

function hostActions(host, act) {
  return h('div', {class: 'actions'},
    h('button', {type: 'button', class: 'secondary',
      'aria-label': `${host.draining ? 'Stop draining' : 'Drain'} ${host.name}`,
      onclick: () => act(host, {draining: !host.draining}, host.draining ? 'takes new sessions again' : 'draining')},
    host.draining ? 'Stop draining' : 'Drain'),
    h('button', {type: 'button', class: 'secondary',
      'aria-label': `${host.maintenance ? 'End maintenance on' : 'Maintenance for'} ${host.name}`,
      onclick: () => act(host, {maintenance: !host.maintenance},
        host.maintenance ? 'out of maintenance' : 'in maintenance')},
    host.maintenance ? 'End maintenance' : 'Maintenance'));
}

// What the node published last (every 5 s): draining first, then its health and, in an outage, its mode.
function nodeState(status) {
  if (status.draining) {
    return 'draining';
  }
  const health = status.health || 'unknown';
  return status.mode === 'local' ? `${health}, brokering locally` : health;
}

function tile(title, value, note) {
  return h('section', {class: 'card tile', 'aria-label': title},
    h('h2', {}, title), h('p', {}, String(value)), h('span', {class: 'muted'}, note));
}
