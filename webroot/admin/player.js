// Plays an asciicast v2 recording (a browser terminal recorded by the appliance) in xterm.js: the header's size,
// then each "o" event written at its time and each "r" event resizing the screen; "i" events (what the user typed)
// are shown by the host's echo already and are not replayed. Play, pause, play again from the start.
import {adoptInlineStyles} from '/js/adopted-styles.js';
import {h} from '/js/ui.js';
import {Terminal} from '/vendor/xterm/xterm.js';

/** The header and events of an asciicast v2 file; throws on a file that is not one. */
export function parseCast(text) {
  const lines = text.split('\n').filter(line => line.trim() !== '');
  const header = JSON.parse(lines[0] || 'null');
  if (!header || header.version !== 2) {
    throw new Error('not an asciicast v2 recording');
  }
  return {header, events: lines.slice(1).map(line => JSON.parse(line))};
}

/** A player element for a parsed recording; dispose() frees its terminal. */
export function castPlayer(cast) {
  adoptInlineStyles();
  const {header, events} = cast;
  const duration = events.length ? events[events.length - 1][0] : 0;
  const screen = h('div', {class: 'terminal-screen', id: 'recording-screen'});
  const play = h('button', {type: 'button', id: 'recording-play'}, 'Play');
  const time = h('span', {class: 'muted', id: 'recording-time', role: 'status'}, clock(0, duration));
  const element = h('div', {class: 'recording-player', id: 'recording-player'},
    h('div', {class: 'actions'}, play, time), screen);
  const term = new Terminal({cols: header.width || 80, rows: header.height || 24, disableStdin: true,
    scrollback: 5000, fontSize: 14});
  term.open(screen);

  let next = 0;
  let position = 0;
  let startedAt = 0;
  let timer = null;

  function tick() {
    position = (performance.now() - startedAt) / 1000;
    while (next < events.length && events[next][0] <= position) {
      apply(events[next]);
      next++;
    }
    time.textContent = clock(Math.min(position, duration), duration);
    if (next >= events.length) {
      stop('Play again');
      return;
    }
    timer = setTimeout(tick, Math.max(0, Math.min(1000, (events[next][0] - position) * 1000)));
  }

  function apply([, code, data]) {
    if (code === 'o') {
      term.write(data);
    } else if (code === 'r') {
      const [cols, rows] = String(data).split('x').map(Number);
      if (cols > 0 && rows > 0) {
        term.resize(cols, rows);
      }
    }
  }

  function stop(label) {
    clearTimeout(timer);
    timer = null;
    play.textContent = label;
    element.dataset.state = label === 'Play again' ? 'ended' : 'paused';
  }

  play.addEventListener('click', () => {
    if (timer !== null) {
      stop('Play');
      return;
    }
    if (next >= events.length) {
      term.reset();
      term.resize(header.width || 80, header.height || 24);
      next = 0;
      position = 0;
    }
    startedAt = performance.now() - position * 1000;
    play.textContent = 'Pause';
    element.dataset.state = 'playing';
    tick();
  });

  return {element, dispose: () => {
    clearTimeout(timer);
    term.dispose();
  }};
}

function clock(seconds, total) {
  const format = s => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  return `${format(seconds)} / ${format(total)}`;
}
