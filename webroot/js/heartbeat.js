// The open store's heartbeat: while the page is shown, one small authenticated GET every few seconds tells it,
// without a reload or a click, that its appliance went away (network down, appliance stopped) or that its
// sign-in ended (signed out elsewhere, expired, ended by an administrator). A hidden page does not beat (it
// costs the appliance nothing) and beats at once when it is shown again.
import {api, ApiError, OfflineError} from './api.js';

/** Time between beats. With the two timeouts below, an appliance that went away is noticed within 10 s. */
export const BEAT_INTERVAL_MS = 4000;
const BEAT_TIMEOUT_MS = 3000;
/** One quick retry before "unreachable", so that a single lost request does not take the page offline. */
const RETRY_TIMEOUT_MS = 2000;
/** The cheapest authenticated route: the session's user, from the cluster's near-cached session store. */
const PATH = '/api/v1/me';
/** Answers of a proxy in front of an appliance that is gone. */
const GATEWAY_ERRORS = new Set([502, 504]);

const ALIVE = 'alive';
const UNREACHABLE = 'unreachable';
const SIGNED_OUT = 'signed-out';

/**
 * @param onUnreachable called once when the appliance stopped answering; the heartbeat has stopped
 * @param onSignedOut called once when the appliance says the sign-in ended (401); the heartbeat has stopped
 * @returns {{start: function(), stop: function()}} start is idempotent; stop cancels a beat in flight
 */
export function heartbeat({onUnreachable, onSignedOut}) {
  let generation = 0;
  let running = false;
  let timer = null;
  let beating = false;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(beat, BEAT_INTERVAL_MS);
  }

  async function beat() {
    timer = null;
    if (!running || beating || document.hidden) {
      return;
    }
    const mine = generation;
    beating = true;
    let outcome = await probe(BEAT_TIMEOUT_MS);
    if (outcome === UNREACHABLE && mine === generation) {
      outcome = await probe(RETRY_TIMEOUT_MS);
    }
    beating = false;
    if (mine !== generation) {
      return; // stopped (and maybe started again) while this beat waited: its answer is stale
    }
    if (outcome === ALIVE) {
      schedule();
      return;
    }
    stop();
    (outcome === SIGNED_OUT ? onSignedOut : onUnreachable)();
  }

  function start() {
    if (running) {
      return;
    }
    running = true;
    generation += 1;
    schedule();
  }

  function stop() {
    running = false;
    generation += 1;
    beating = false;
    clearTimeout(timer);
    timer = null;
  }

  document.addEventListener('visibilitychange', () => {
    if (running && !document.hidden && timer === null && !beating) {
      beat();
    }
  });
  return {start, stop};
}

async function probe(timeoutMs) {
  try {
    await api(PATH, {timeoutMs});
    return ALIVE;
  } catch (e) {
    if (e instanceof OfflineError || e instanceof ApiError && GATEWAY_ERRORS.has(e.status)) {
      return UNREACHABLE;
    }
    // any other answer comes from a live appliance: the next action explains it
    return e instanceof ApiError && e.status === 401 ? SIGNED_OUT : ALIVE;
  }
}
