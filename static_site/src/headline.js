// The three headline prices and the divergence warning, from latest.json alone: they show
// before DuckDB-WASM or Plotly has loaded.

import { age, count, el, pct, usd, utcTime } from './format.js';

export const LOW_CONFIDENCE = 0.75;
const NAMES = { day: 'day', recent: 'recent', mempool: 'mempool' };

function divergenceBadge(entry) {
  return entry.diverges
    ? [el('span', { class: 'badge invalid', 'data-testid': 'badge-divergent' }, `Diverges ${pct(entry.diff_pct)}`)]
    : [];
}

export function badgesFor(entry) {
  if (entry.is_valid === false) {
    return [el('span', { class: 'badge invalid', 'data-testid': 'badge-invalid' },
      'Invalid' + (entry.invalid_reason ? `: ${entry.invalid_reason}` : ''))];
  }
  if (entry.confidence != null && entry.confidence < LOW_CONFIDENCE) {
    return [el('span', { class: 'badge low', 'data-testid': 'badge-low-confidence' },
      `Low confidence ${entry.confidence.toFixed(2)}`)];
  }
  return [el('span', { class: 'badge ok', 'data-testid': 'badge-valid' }, 'Valid')];
}

function meta(kind, entry) {
  const parts = [`confidence ${entry.confidence == null ? '—' : entry.confidence.toFixed(2)}`];
  parts.push(entry.is_valid === false ? 'invalid' : 'valid');
  parts.push(`computed ${age(entry.computed_at)}`);
  if (kind === 'day' && entry.date) parts.push(entry.date);
  if (kind !== 'day' && entry.end_height != null) parts.push(`to block ${count(entry.end_height - 1)}`);
  if (entry.exchange_price != null) {
    parts.push(`exchange ${usd(entry.exchange_price)} (${pct(entry.diff_pct)})`);
  }
  return parts.join(' · ');
}

function renderCard(kind, entry) {
  const price = document.querySelector(`[data-testid="latest-${NAMES[kind]}-price"]`);
  const info = document.querySelector(`[data-testid="latest-${NAMES[kind]}-meta"]`);
  const badges = document.querySelector(`[data-testid="latest-${NAMES[kind]}-badges"]`);
  if (!entry) {
    price.textContent = kind === 'mempool' ? 'no mempool data' : 'no price yet';
    info.textContent = '';
    badges.replaceChildren();
    return;
  }
  price.textContent = usd(entry.price);
  info.textContent = meta(kind, entry);
  badges.replaceChildren(...badgesFor(entry), ...divergenceBadge(entry));
}

export function divergence(latest) {
  for (const [kind, label] of [['day', 'latest day'], ['recent', 'latest 144 blocks']]) {
    const entry = latest[kind];
    if (entry && entry.diverges) {
      return `Large divergence detected: ${pct(entry.diff_pct)} between the on-chain price `
        + `and the exchange (${label}${entry.date && kind === 'day' ? ', ' + entry.date : ''})`;
    }
  }
  return null;
}

export function renderHeadlines(latest) {
  for (const kind of Object.keys(NAMES)) renderCard(kind, latest[kind]);
  const warning = document.querySelector('[data-testid="divergence-warning"]');
  const text = divergence(latest);
  warning.hidden = !text;
  warning.textContent = text || '';
  const lake = latest.lake || {};
  document.querySelector('[data-testid="lake-status"]').textContent =
    `Lake tip: block ${count(lake.tip_height)} at ${utcTime(lake.tip_time)}; `
    + `feed written ${age(latest.generated_at)}.`;
}
