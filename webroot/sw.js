// Outpost store service worker: keeps the store's app shell and, per feed (this site + one user), the last
// resource list, favourites and connection lease, so that the store still renders when the appliance cannot be reached.
// The admin console and every other API are never cached.
'use strict';

const SHELL_CACHE = 'outpost-shell-v1';
const FEED_CACHE = 'outpost-feeds-v1'; // also named in js/feed.js, which clears a feed at sign-out
const FEED_HEADER = 'X-Outpost-Feed'; // js/api.js sends it with the user's name
const OFFLINE_HEADER = 'X-Outpost-Offline'; // js/api.js reads it: when the copy was taken, or "none"
const CACHED_AT_HEADER = 'X-Outpost-Cached-At';
const NETWORK_TIMEOUT_MS = 8000;

const SHELL = [
  '/', '/manifest.json', '/css/outpost.css',
  '/js/store.js', '/js/api.js', '/js/feed.js', '/js/lease.js', '/js/signin.js', '/js/ui.js', '/js/heartbeat.js',
  '/icons/outpost.svg', '/icons/desktop.svg', '/icons/app.svg', '/icons/icon-192.png', '/icons/icon-512.png',
];
const FEED_PATHS = new Set(['/api/v1/resources', '/api/v1/lease', '/api/v1/favourites']);

self.addEventListener('install', event => {
  event.waitUntil(caches.open(SHELL_CACHE).then(cache => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', event => {
  event.waitUntil(caches.keys()
    .then(names => Promise.all(names.filter(name => name !== SHELL_CACHE && name !== FEED_CACHE)
      .map(name => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', event => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) {
    return;
  }
  if (FEED_PATHS.has(url.pathname)) {
    event.respondWith(feedResponse(event.request, url));
  } else if (isShell(event.request, url)) {
    event.respondWith(shellResponse(event.request, url));
  }
});

function isShell(request, url) {
  return request.mode === 'navigate' && (url.pathname === '/' || url.pathname === '/index.html')
    || SHELL.includes(url.pathname);
}

/** Network first so that an upgraded appliance is seen at once; the cached copy when the network fails. */
async function shellResponse(request, url) {
  const key = request.mode === 'navigate' ? '/' : url.pathname;
  try {
    const response = await fetchWithTimeout(request);
    if (response.ok && response.type === 'basic') {
      const cache = await caches.open(SHELL_CACHE);
      await cache.put(key, response.clone());
    }
    return response;
  } catch (e) {
    const cached = await caches.match(key, {cacheName: SHELL_CACHE});
    if (cached) {
      return cached;
    }
    throw e;
  }
}

/** The live answer, kept per feed; the kept copy (marked offline) when the network fails. */
async function feedResponse(request, url) {
  const feed = request.headers.get(FEED_HEADER);
  if (!feed) {
    return fetch(request);
  }
  const key = new Request(`${self.location.origin}/__feed/${encodeURIComponent(feed)}${url.pathname}`);
  const cache = await caches.open(FEED_CACHE);
  let response;
  try {
    response = await fetchWithTimeout(request);
  } catch {
    const cached = await cache.match(key);
    return cached ? marked(cached, cached.headers.get(CACHED_AT_HEADER) || 'unknown') : nothingCached(url);
  }
  if (response.ok) {
    const body = await response.clone().arrayBuffer();
    const headers = new Headers(response.headers);
    headers.set(CACHED_AT_HEADER, new Date().toISOString());
    await cache.put(key, new Response(body, {status: response.status, headers}));
  } else if (response.status === 401 || response.status === 403 || response.status === 404) {
    await cache.delete(key); // signed out, or no such thing (e.g. no lease): keep nothing stale
  }
  return response;
}

async function marked(cached, since) {
  const headers = new Headers(cached.headers);
  headers.set(OFFLINE_HEADER, since);
  return new Response(await cached.arrayBuffer(), {status: cached.status, headers});
}

function nothingCached(url) {
  const problem = {type: 'about:blank', title: 'Offline', status: 503,
    detail: `the appliance cannot be reached and no copy of ${url.pathname} is kept on this device`};
  return new Response(JSON.stringify(problem), {status: 503,
    headers: {'Content-Type': 'application/problem+json', [OFFLINE_HEADER]: 'none'}});
}

function fetchWithTimeout(request) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NETWORK_TIMEOUT_MS);
  return fetch(request, {signal: controller.signal}).finally(() => clearTimeout(timer));
}
