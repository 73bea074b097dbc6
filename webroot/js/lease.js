// Connection leases in the store: the one place that knows about them.
//
// GET /api/v1/lease is served once connection leases exist on the appliance. Until then it answers 404 and
// this module reports "no lease", so an offline store simply greys everything out. When it answers, the service
// worker keeps its last copy per feed; offline, a resource the unexpired lease covers stays launchable by
// handing off to the endpoint client, which holds the device key the lease is bound to and falls back to the
// lease by itself. The browser never signs anything with the lease.
import {api} from './api.js';

/** The user's lease as last seen (live or cached), or null when there is none. */
export async function currentLease(feed) {
  try {
    const {data} = await api('/api/v1/lease', {feed, timeoutMs: 8000});
    return data && data.expiresAt ? data : null;
  } catch {
    return null;
  }
}

/** Whether an unexpired lease lists this resource (by id or name, or as objects carrying either). */
export function leaseCovers(lease, resource, now = Date.now()) {
  if (!lease || !(Date.parse(lease.expiresAt) > now)) {
    return false;
  }
  return (lease.resources || []).some(entry => {
    const id = typeof entry === 'object' && entry !== null ? entry.id : entry;
    const name = typeof entry === 'object' && entry !== null ? entry.name : entry;
    return id === resource.id || name === resource.name;
  });
}

/** What to run on this device to launch a resource with the endpoint client (which uses the lease if needed). */
export function clientCommand(resource, username) {
  if (isSsh(resource)) {
    return `ssh -o ProxyCommand='outpost client connect ${resource.name} --stdio' ${hostUser(resource, username)}@${resource.name}`;
  }
  return `outpost client launch ${resource.name} --local-port ${localPort(resource)}`;
}

/** The command that uses a downloaded launch file's own ticket (no second launch), run where the file was saved. */
export function openFileCommand(resource, username, fileName) {
  if (isSsh(resource)) {
    return `ssh -o ProxyCommand='outpost client open ${fileName}' ${hostUser(resource, username)}@${resource.name}`;
  }
  return `outpost client open ${fileName} --local-port ${localPort(resource)}`;
}

function isSsh(resource) {
  return (resource.launchHint || '').toLowerCase() === 'ssh';
}

/** The account on the host: the resource's host login when it has one, else (a guess) the store user name. */
function hostUser(resource, username) {
  return resource.hostLogin || username;
}

function localPort(resource) {
  return resource.port >= 1024 ? resource.port : 10000 + resource.port;
}
