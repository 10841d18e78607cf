// Comparison statistics over a range of daily rows: only valid days with an exchange price.

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Linear-interpolated quantile of sorted values (q in 0..1). */
export function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function correlation(xs, ys) {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i] - my);
    sxx += (x - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  });
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : null;
}

export function comparison(rows) {
  const used = rows.filter((r) => r.is_valid && r.exchange_price != null && r.diff_pct != null);
  if (!used.length) return null;
  const usd = used.map((r) => r.diff_usd);
  const pcts = used.map((r) => r.diff_pct);
  const abs = pcts.map(Math.abs).sort((a, b) => a - b);
  return {
    days: used.length,
    avgUsd: mean(usd), avgPct: mean(pcts),
    maxUsd: Math.max(...usd), maxPct: Math.max(...pcts),
    minUsd: Math.min(...usd), minPct: Math.min(...pcts),
    correlation: used.length > 1 ? correlation(used.map((r) => r.price), used.map((r) => r.exchange_price)) : null,
    median: quantile(abs, 0.5), p95: quantile(abs, 0.95), max: abs[abs.length - 1],
  };
}
