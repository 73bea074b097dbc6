// Calls to the appliance's JSON APIs with the session cookie. Every state change carries the CSRF token;
// errors become ApiError (with the problem's detail) or OfflineError (the appliance cannot be reached).

/** Header the service worker keys its per-feed cache by (see sw.js). */
export const FEED_HEADER = 'X-Outpost-Feed';
/** Header on a response the service worker answered from its cache because the network failed. */
export const OFFLINE_HEADER = 'X-Outpost-Offline';

const DEFAULT_TIMEOUT_MS = 15000;
let csrfToken = null;

/** The API answered with an error status; detail is the problem document's explanation. */
export class ApiError extends Error {
  constructor(status, detail, type) {
    super(detail);
    this.status = status;
    this.type = type;
  }
}

/** The appliance could not be reached (network down, appliance stopped, request timed out). */
export class OfflineError extends Error {
}

/** Remembers the session's CSRF token (from sign-in or GET /api/v1/me); never stored anywhere. */
export function setCsrfToken(token) {
  csrfToken = token || null;
}

/**
 * Sends one request. Resolves to {data, offlineSince}: offlineSince is set when the service worker answered
 * from its cache (the time the copy was taken). A caller's signal cancels the request (AbortError).
 */
export async function api(path, {method = 'GET', body, signal, feed, timeoutMs = DEFAULT_TIMEOUT_MS} = {}) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) {
    headers['X-CSRF-Token'] = csrfToken;
  }
  if (feed) {
    headers[FEED_HEADER] = feed;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const cancel = () => controller.abort();
  signal?.addEventListener('abort', cancel);
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store', signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (signal?.aborted) {
      throw new DOMException('cancelled', 'AbortError');
    }
    throw new OfflineError(controller.signal.aborted ? 'the appliance did not answer in time'
      : 'the appliance cannot be reached');
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
  }
  return read(response);
}

async function read(response) {
  const offline = response.headers.get(OFFLINE_HEADER);
  if (offline === 'none') {
    throw new OfflineError('the appliance cannot be reached and nothing is cached for this page');
  }
  if (response.status === 204) {
    return {data: null, offlineSince: offline};
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const detail = data && (data.detail || data.title) || `the appliance answered ${response.status}`;
    throw new ApiError(response.status, detail, data && data.type);
  }
  return {data, offlineSince: offline};
}

/** A message for a person: what failed and, where it helps, what to do. */
export function describe(error, doing) {
  if (error instanceof OfflineError) {
    return `Could not ${doing}: ${error.message}. Check your connection and try again.`;
  }
  if (error instanceof ApiError) {
    return `Could not ${doing}: ${error.message}`;
  }
  return `Could not ${doing}: ${error && error.message || error}`;
}
