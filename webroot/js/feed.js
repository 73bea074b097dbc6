// A feed is one user's view of one site (this origin): the last signed-in user, and the copies the service worker
// keeps of their resource list, favourites and lease (see sw.js). Favourites are kept on the server; the ones
// earlier versions kept in this browser are read once, to move them there.

/** The service worker's cache of feed responses; the same name is in sw.js. */
export const FEED_CACHE = 'outpost-feeds-v1';
const LAST_USER = 'outpost.feed.user';

/** The user who last signed in here, {username, displayName}, or null. */
export function lastUser() {
  try {
    return JSON.parse(localStorage.getItem(LAST_USER) || 'null');
  } catch {
    return null;
  }
}

export function rememberUser(user) {
  localStorage.setItem(LAST_USER, JSON.stringify({username: user.username, displayName: user.displayName || ''}));
}

/** Forgets the signed-out user's cached resource list, favourites and lease (favourites stay on the server). */
export async function forget(username) {
  localStorage.removeItem(LAST_USER);
  if (!('caches' in self)) {
    return;
  }
  const cache = await caches.open(FEED_CACHE);
  const prefix = `${location.origin}/__feed/${encodeURIComponent(username)}/`;
  for (const request of await cache.keys()) {
    if (request.url.startsWith(prefix)) {
      await cache.delete(request);
    }
  }
}

/** The favourite resource ids this browser kept for the user before favourites moved to the server. */
export function localFavourites(username) {
  try {
    return new Set(JSON.parse(localStorage.getItem(favouritesKey(username)) || '[]'));
  } catch {
    return new Set();
  }
}

/** Forgets this browser's copy once the server has the user's favourites. */
export function forgetLocalFavourites(username) {
  localStorage.removeItem(favouritesKey(username));
}

function favouritesKey(username) {
  return `outpost.favourites.${username}`;
}
