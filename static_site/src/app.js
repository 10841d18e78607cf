// The page: headline prices from latest.json first, then the lake through DuckDB-WASM.

import { renderHeadlines, badgesFor } from './headline.js';
import { count, el, pct, plainPct, signedUsd } from './format.js';
import { comparison } from './stats.js';

const params = new URLSearchParams(location.search);
const POLL_MS = 1000 * Number(params.get('poll') || 60);
const MEMPOOL_POINTS = 'mempool_points';
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const state = { base: null, latest: null, lake: null, charts: null, days: [], range: 'all' };
window.chainprice = { ready: false, errors: [], marks: {} };

async function json(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function loadPlotly() {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'vendor/plotly/plotly.min.js';
    script.onload = resolve;
    script.onerror = () => reject(new Error('Plotly did not load'));
    document.head.append(script);
  });
}

function mark(id, state_) {
  $(id).dataset.state = state_;
}

/** Remove a chart's "nothing to draw" text; a figure already drawn there stays (Plotly.react updates it). */
function clearNote(node) {
  if (!node.querySelector('.plot-container')) node.textContent = '';
}

function fail(where, error) {
  window.chainprice.errors.push(`${where}: ${error.message}`);
  const node = $(where);
  if (node) {
    node.textContent = `Could not draw this: ${error.message}`;
    mark(where, 'error');
  }
}

// ---- history and stats -------------------------------------------------------------

function inRange(rows, range) {
  return range === 'all' ? rows : rows.slice(-Number(range));
}

function renderStats(rows) {
  const s = comparison(rows);
  const set = (id, text) => { $(id).querySelector('.value').textContent = text; };
  if (!s) {
    for (const id of ['stat-avg-diff', 'stat-max-diff', 'stat-min-diff', 'stat-correlation', 'stat-accuracy']) set(id, '—');
    $('stats-note').textContent = 'No valid day with an exchange price in this range.';
    return;
  }
  set('stat-avg-diff', `${signedUsd(s.avgUsd)} · ${pct(s.avgPct, 2)}`);
  set('stat-max-diff', `${signedUsd(s.maxUsd)} · ${pct(s.maxPct, 2)}`);
  set('stat-min-diff', `${signedUsd(s.minUsd)} · ${pct(s.minPct, 2)}`);
  set('stat-correlation', s.correlation == null ? '—' : s.correlation.toFixed(4));
  set('stat-accuracy', `median ${plainPct(s.median)} · 95th pct ${plainPct(s.p95)} · max ${plainPct(s.max)}`);
  $('stats-note').textContent = `Over ${count(s.days)} valid days with an exchange price (invalid days are shown, not counted).`;
}

function renderHistoryBadges(rows) {
  const invalid = rows.filter((r) => !r.is_valid);
  const low = rows.filter((r) => r.is_valid && badgesFor(r)[0].dataset.testid === 'badge-low-confidence');
  const badges = [];
  if (invalid.length) {
    const first = invalid[invalid.length - 1];
    badges.push(el('span', { class: 'badge invalid', 'data-testid': 'badge-invalid' },
      `${invalid.length} invalid day${invalid.length > 1 ? 's' : ''} (latest ${first.day}: ${first.invalid_reason || 'invalid'})`));
  }
  if (low.length) {
    badges.push(el('span', { class: 'badge low', 'data-testid': 'badge-low-confidence' },
      `${low.length} low-confidence day${low.length > 1 ? 's' : ''}`));
  }
  $('history-badges').replaceChildren(...badges);
}

async function renderHistory() {
  const rows = inRange(state.days, state.range);
  for (const button of document.querySelectorAll('[data-range]')) {
    button.setAttribute('aria-pressed', String(button.dataset.range === state.range));
  }
  await state.charts.historyChart($('chart-history'), rows);
  mark('chart-history', rows.length ? 'drawn' : 'empty');
  renderStats(rows);
  renderHistoryBadges(rows);
}

// ---- one day: intraday scatter and histogram -----------------------------------------

function dayObject(table, day) {
  return state.lake.files(table, (n) => n.includes(`/date=${day}/`));
}

async function loadDay(day) {
  const points = dayObject('intraday', day);
  const fits = dayObject('histograms', day);
  await prefetch([...points, ...fits]);
  const source = (names) => state.lake.source(names);
  return {
    day,
    points: points.length
      ? await state.lake.columns(`SELECT height, time, price FROM ${source(points)} ORDER BY seq`)
      : null,
    fit: fits.length ? (await state.lake.query(`SELECT * FROM ${source(fits)}`))[0] : null,
  };
}

async function drawDay({ day, points, fit }) {
  try {
    await state.charts.intradayChart($('chart-intraday'), points, $('intraday-axis').value, day);
    const n = points ? points.price.length : 0;
    mark('chart-intraday', n ? 'drawn' : 'empty');
    $('chart-intraday').dataset.points = String(n);
  } catch (error) { fail('chart-intraday', error); }
  try {
    if (!fit) {
      if (window.Plotly) window.Plotly.purge($('chart-histogram'));
      $('chart-histogram').textContent = `No histogram stored for ${day}.`;
      $('histogram-note').textContent = '';
      mark('chart-histogram', 'empty');
      return;
    }
    clearNote($('chart-histogram'));
    await state.charts.histogramChart($('chart-histogram'), fit);
    $('histogram-note').textContent = `Dotted lines: round USD amounts where the stencil fit put them `
      + `(best slide ${fit.best_slide}, rough price $${count(fit.rough_price)}), blocks ${count(fit.start_height)}`
      + `–${count(fit.end_height - 1)}.`;
    mark('chart-histogram', 'drawn');
  } catch (error) { fail('chart-histogram', error); }
}

async function renderDay() {
  const day = $('day-select').value;
  if (!day) return;
  try {
    await drawDay(await loadDay(day));
  } catch (error) { fail('chart-intraday', error); }
}

// ---- mempool ----------------------------------------------------------------------------

async function renderMempool() {
  const lake = state.lake;
  const files = lake.files('prices', (n) => n.includes('/kind=mempool/'));
  const status = $('mempool-status');
  try {
    if (!files.length) {
      status.textContent = 'No mempool data in the lake yet.';
      for (const id of ['chart-mempool', 'chart-mempool-scatter']) {
        if (window.Plotly) window.Plotly.purge($(id));
        $(id).textContent = 'no mempool data';
        mark(id, 'empty');
      }
      return;
    }
    await prefetch(files);
    const rows = await lake.query(
      `SELECT epoch_ms(computed_at) AS at_ms, price, is_valid FROM ${lake.source(files)} ORDER BY at_ms`);
    clearNote($('chart-mempool'));
    await state.charts.mempoolChart($('chart-mempool'), rows);
    mark('chart-mempool', 'drawn');
    status.textContent = `${count(rows.length)} mempool estimates; the latest is unconfirmed and moves as transactions arrive.`;
    const points = lake.files(MEMPOOL_POINTS);
    if (!points.length) {
      $('chart-mempool-scatter').textContent = 'no mempool data (no price points of the latest estimate)';
      mark('chart-mempool-scatter', 'empty');
      return;
    }
    const latest = await lake.query(`SELECT * FROM ${lake.source(points.slice(-1))}`);
    clearNote($('chart-mempool-scatter'));
    await state.charts.pointsChart($('chart-mempool-scatter'), latest);
    mark('chart-mempool-scatter', 'drawn');
  } catch (error) { fail('chart-mempool', error); }
}

// ---- downloads and SQL ----------------------------------------------------------------

const DAY_COLUMNS = `strftime(date, '%Y-%m-%d') AS date, price, rough_price, canonical_price, exchange_price,
  diff_usd, diff_pct, diverges, confidence, is_valid, invalid_reason, start_height, end_height, tip_height,
  n_outputs, n_price_points, computed_at`;

async function download(format) {
  const name = `chainprice-daily.${format}`;
  const files = state.lake.files('prices', (n) => n.includes('/kind=day/'));
  const options = format === 'csv' ? "(HEADER, DELIMITER ',')" : '(FORMAT PARQUET)';
  await state.lake.conn.query(`COPY (SELECT ${DAY_COLUMNS} FROM ${state.lake.source(files)} ORDER BY date) TO '${name}' ${options}`);
  const bytes = await state.lake.fileBytes(name);
  const link = el('a', { href: URL.createObjectURL(new Blob([bytes])), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function renderTable(table) {
  const names = table.schema.fields.map((f) => f.name);
  const head = el('tr');
  names.forEach((n) => head.append(el('th', { scope: 'col' }, n)));
  const body = el('tbody');
  const shown = Math.min(table.numRows, 200);
  for (let i = 0; i < shown; i += 1) {
    const tr = el('tr');
    for (const n of names) {
      const value = table.getChild(n).get(i);
      tr.append(el('td', {}, value == null ? 'null' : String(typeof value === 'bigint' ? Number(value) : value)));
    }
    body.append(tr);
  }
  const result = el('table');
  result.append(el('thead'), body);
  result.firstChild.append(head);
  const caption = el('caption', {}, `${count(table.numRows)} row${table.numRows === 1 ? '' : 's'}${table.numRows > shown ? `, first ${shown} shown` : ''}`);
  result.prepend(caption);
  return result;
}

async function runSql(event) {
  event.preventDefault();
  const sql = $('sql-input').value;
  const error = $('sql-error');
  try {
    await state.lake.viewsFor(sql);
    const table = await state.lake.arrow(sql);
    error.hidden = true;
    $('sql-result').replaceChildren(renderTable(table));
    $('sql-result').dataset.rows = String(table.numRows);
  } catch (e) {
    error.hidden = false;
    error.textContent = e.message.split('\n')[0];
  }
}

// ---- start and poll ---------------------------------------------------------------------

async function poll() {
  try {
    const latest = await json(new URL('latest.json', state.base));
    if (JSON.stringify(latest) === JSON.stringify(state.latest)) return;
    const changed = latest.generated_at !== (state.latest && state.latest.generated_at);
    state.latest = latest;
    renderHeadlines(latest);
    if (changed && state.lake) {
      await state.lake.refresh(await json(new URL('manifest.json', state.base)));
      await renderMempool();
    }
  } catch (error) {
    window.chainprice.errors.push(`poll: ${error.message}`);
  }
}

/** Fetch the small objects among ``names`` whole and hand them to DuckDB (see lake.js). */
function prefetch(names) {
  return state.lake.register(state.lake.fetchWhole(state.lake.small(names)));
}

/** The latest day with intraday points, the day the page opens on: from the manifest alone. */
function latestChartedDay(listed, manifest) {
  const days = listed(manifest, 'intraday').map((n) => (n.match(/\/date=(\d{4}-\d{2}-\d{2})\//) || [])[1]);
  return days.filter(Boolean).sort().pop() || null;
}

/** The objects the first charts read: every day price, and the opening day's points and fit. */
function firstObjects(listed, manifest, day) {
  const ofDay = (n) => n.includes(`/date=${day}/`);
  const names = listed(manifest, 'prices', (n) => n.includes('/kind=day/'));
  return day ? [...names, ...listed(manifest, 'intraday', ofDay), ...listed(manifest, 'histograms', ofDay)] : names;
}

async function readDays() {
  const dayFiles = state.lake.files('prices', (n) => n.includes('/kind=day/'));
  state.days = (await state.lake.collect(dayFiles,
    `SELECT strftime(date, '%Y-%m-%d') AS day, price, canonical_price, exchange_price, diff_usd, diff_pct,
       confidence, is_valid, invalid_reason FROM {source}`)).sort((a, b) => (a.day < b.day ? -1 : 1));
  window.chainprice.marks.days = performance.now();
}

async function start() {
  // DuckDB-WASM's worker and wasm compile (the longest step) need nothing from the lake:
  // start them first; they run off the main thread while the headline is fetched.
  const module = import('./lake.js');
  const opening = module.then(({ Lake }) => Lake.open());
  const config = await json('config.json');
  if (config.notice) {
    $('notice').textContent = config.notice;
    $('notice').hidden = false;
  }
  state.base = new URL(config.lake, location.href);
  const manifestRead = json(new URL('manifest.json', state.base));
  state.latest = await json(new URL('latest.json', state.base));
  renderHeadlines(state.latest);
  window.chainprice.headline = performance.now();
  setInterval(poll, POLL_MS);
  setInterval(() => renderHeadlines(state.latest), 30000);

  const drawing = Promise.all([import('./charts.js'), loadPlotly()]).then(([charts]) => {
    state.charts = charts;
    window.chainprice.marks.plotly = performance.now();
    return charts;
  });
  // The small objects the first charts read are fetched while DuckDB-WASM starts.
  const [{ listed, smallObjects, fetchWhole }, manifest] = await Promise.all([module, manifestRead]);
  const firstDay = latestChartedDay(listed, manifest);
  const fetched = fetchWhole(state.base, smallObjects(manifest, firstObjects(listed, manifest, firstDay)));
  state.lake = await opening;
  state.lake.use(state.base, manifest);
  window.chainprice.marks.duckdb = performance.now();
  $('sql-tables').textContent = state.lake.tables().join(', ');
  await state.lake.register(fetched);
  window.chainprice.marks.fetched = performance.now();

  // Each chart is drawn as soon as its own rows and Plotly are there. DuckDB's worker runs
  // one query at a time: the daily prices first (a small query), so that their chart is
  // drawn while the worker reads the opening day's points, and the scatter (the costliest
  // figure) is drawn last, with the worker idle beside it.
  const select = $('day-select');
  const daysRead = readDays();
  const dayRows = firstDay ? daysRead.catch(() => null).then(() => loadDay(firstDay)) : Promise.resolve(null);
  const day = (async () => {
    const rows = await dayRows;
    window.chainprice.marks.day_read = performance.now();
    if (!rows) return;
    await drawing;
    await drawDay(rows);
    window.chainprice.marks.day = performance.now();
  })().catch((error) => fail('chart-intraday', error));
  const history = (async () => {
    await daysRead;
    select.replaceChildren(...state.days.slice().reverse().map((r) => el('option', { value: r.day }, r.day)));
    if (firstDay) select.value = firstDay;
    await drawing;
    await renderHistory();
    window.chainprice.marks.history = performance.now();
  })().catch((error) => fail('chart-history', error));
  const mempool = Promise.all([daysRead, drawing]).then(renderMempool, () => null);
  await Promise.all([history, day, mempool]);
  window.chainprice.ready = performance.now();

  for (const button of document.querySelectorAll('[data-range]')) {
    button.addEventListener('click', () => { state.range = button.dataset.range; renderHistory(); });
  }
  select.addEventListener('change', renderDay);
  $('intraday-axis').addEventListener('change', renderDay);
  $('intraday-export').addEventListener('click', () => state.charts.exportPng($('chart-intraday'), `intraday-${select.value}`));
  $('download-csv').addEventListener('click', () => download('csv'));
  $('download-parquet').addEventListener('click', () => download('parquet'));
  $('sql-form').addEventListener('submit', runSql);
}

start().catch((error) => {
  window.chainprice.errors.push(`start: ${error.message}`);
  $('lake-status').textContent = `The lake could not be read: ${error.message}`;
});
