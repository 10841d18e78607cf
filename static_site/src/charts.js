// Plotly figures of the page, in its dark theme. Plotly is a classic script (window.Plotly).

export const GREEN = '#2ecc71';
export const RED = '#ff6b5e';
export const AMBER = '#ffbf47';
export const BLUE = '#6cb6ff';
const GRID = '#2a313b';

const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ['lasso2d', 'select2d'] };

function layout(extra = {}) {
  return {
    paper_bgcolor: '#181d24',
    plot_bgcolor: '#181d24',
    font: { color: '#e7ecf2', size: 12 },
    margin: { l: 64, r: 16, t: 16, b: 48 },
    legend: { orientation: 'h', y: -0.18 },
    hovermode: 'closest',
    ...extra,
    xaxis: { gridcolor: GRID, zerolinecolor: GRID, ...(extra.xaxis || {}) },
    yaxis: { gridcolor: GRID, zerolinecolor: GRID, tickprefix: '$', separatethousands: true, ...(extra.yaxis || {}) },
  };
}

function draw(node, traces, extra) {
  return window.Plotly.react(node, traces, layout(extra), CONFIG);
}

function webgl() {
  try {
    return !!document.createElement('canvas').getContext('webgl');
  } catch {
    return false;
  }
}
const SCATTER = webgl() ? 'scattergl' : 'scatter';

export function historyChart(node, rows) {
  const x = rows.map((r) => r.day);
  const valid = rows.map((r) => (r.is_valid ? r.price : null));
  const invalid = rows.filter((r) => !r.is_valid);
  const canonical = rows.filter((r) => r.canonical_price != null && r.canonical_price !== r.price);
  return draw(node, [
    { name: 'exchange', x, y: rows.map((r) => r.exchange_price), type: 'scatter', mode: 'lines',
      line: { color: RED, width: 2 }, hovertemplate: '%{x}<br>exchange $%{y:,.0f}<extra></extra>' },
    { name: 'on-chain', x, y: valid, type: 'scatter', mode: rows.length > 60 ? 'lines' : 'lines+markers',
      line: { color: GREEN, width: 2 }, hovertemplate: '%{x}<br>on-chain $%{y:,.0f}<extra></extra>' },
    { name: 'on-chain, invalid', x: invalid.map((r) => r.day), y: invalid.map((r) => r.price),
      text: invalid.map((r) => r.invalid_reason || 'invalid'), type: 'scatter', mode: 'markers',
      marker: { color: AMBER, symbol: 'x', size: 11, line: { width: 1, color: AMBER } },
      hovertemplate: '%{x}<br>on-chain $%{y:,.0f}<br>invalid: %{text}<extra></extra>' },
    { name: 'canonical window', x: canonical.map((r) => r.day), y: canonical.map((r) => r.canonical_price),
      type: 'scatter', mode: 'markers', marker: { color: BLUE, symbol: 'diamond-open', size: 9 },
      hovertemplate: '%{x}<br>canonical window $%{y:,.0f}<extra></extra>' },
  ], { xaxis: { type: 'date' } });
}

export function intradayChart(node, points, axis, day) {
  const byHeight = axis === 'height';
  const n = points ? points.price.length : 0;
  // Typed arrays and a hover template that formats the time itself: no per-point objects.
  const when = n ? Float64Array.from(points.time, (t) => t * 1000) : [];
  return draw(node, [{
    name: `price points ${day}`,
    x: n ? (byHeight ? points.height : when) : [],
    y: n ? points.price : [],
    customdata: n && !byHeight ? points.height : [],
    type: SCATTER, mode: 'markers', marker: { color: GREEN, size: 3, opacity: 0.6 },
    hovertemplate: byHeight
      ? 'block %{x}<br>$%{y:,.0f}<extra></extra>'
      : 'block %{customdata} at %{x|%H:%M:%S} UTC<br>$%{y:,.0f}<extra></extra>',
  }], { showlegend: false, xaxis: byHeight ? { title: 'block height', tickformat: 'd' } : { type: 'date', title: 'block time (UTC)' } });
}

export function histogramChart(node, fit) {
  const shapes = [];
  const annotations = [];
  const lo = fit.bin_btc[0];
  const hi = fit.bin_btc[fit.bin_btc.length - 1];
  const narrow = node.clientWidth < 600; // a phone: label only the powers of ten
  fit.round_usd.forEach((usd, i) => {
    const btc = fit.round_usd_btc[i];
    if (btc < lo || btc > hi) return;
    shapes.push({ type: 'line', xref: 'x', yref: 'paper', x0: btc, x1: btc, y0: 0, y1: 1,
      line: { color: AMBER, width: 1, dash: 'dot' } });
    if (narrow && !Number.isInteger(Math.log10(usd))) return;
    annotations.push({ x: Math.log10(btc), y: 1, xref: 'x', yref: 'paper', text: `$${usd.toLocaleString('en-US')}`,
      showarrow: false, textangle: -90, xanchor: 'right', yanchor: 'top', font: { size: 10, color: AMBER } });
  });
  return draw(node, [{
    name: 'cleaned histogram', x: fit.bin_btc, y: fit.bin_value, type: 'scatter', mode: 'lines',
    line: { color: GREEN, width: 1, shape: 'hv' }, fill: 'tozeroy', fillcolor: 'rgba(46, 204, 113, 0.25)',
    hovertemplate: '%{x:.8f} BTC<br>%{y:.5f} of outputs<extra></extra>',
  }], {
    showlegend: false, shapes, annotations,
    xaxis: { type: 'log', title: 'output amount, BTC (log scale)' },
    yaxis: { tickprefix: '', title: 'share of outputs' },
  });
}

export function mempoolChart(node, rows) {
  return draw(node, [{
    name: 'mempool estimate', x: rows.map((r) => new Date(r.at_ms)), y: rows.map((r) => r.price),
    type: 'scatter', mode: 'lines+markers', line: { color: GREEN },
    marker: { color: rows.map((r) => (r.is_valid ? GREEN : AMBER)), size: 6 },
    hovertemplate: '%{x}<br>$%{y:,.0f}<extra></extra>',
  }], { showlegend: false, xaxis: { type: 'date' } });
}

export function pointsChart(node, points) {
  return draw(node, [{
    name: 'latest mempool points', x: points.map((p, i) => (p.time != null ? new Date(p.time * 1000) : i)),
    y: points.map((p) => p.price), type: SCATTER, mode: 'markers', marker: { color: GREEN, size: 3, opacity: 0.6 },
    hovertemplate: '$%{y:,.0f}<extra></extra>',
  }], { showlegend: false });
}

export function exportPng(node, filename) {
  return window.Plotly.downloadImage(node, { format: 'png', filename, width: 1200, height: 600 });
}

