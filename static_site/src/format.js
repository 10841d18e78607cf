// Formatting shared by every part of the page: one way to show a price, a share, an age.

const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });

export function usd(value) {
  return value == null || Number.isNaN(value) ? '—' : USD.format(value);
}

export function signedUsd(value) {
  if (value == null || Number.isNaN(value)) return '—';
  return (value >= 0 ? '+' : '−') + USD.format(Math.abs(value));
}

export function pct(value, digits = 1) {
  if (value == null || Number.isNaN(value)) return '—';
  return (value >= 0 ? '+' : '−') + Math.abs(value).toFixed(digits) + '%';
}

export function plainPct(value, digits = 2) {
  return value == null || Number.isNaN(value) ? '—' : value.toFixed(digits) + '%';
}

export function count(value) {
  return value == null ? '—' : Number(value).toLocaleString('en-US');
}

export function age(iso, now = Date.now()) {
  if (!iso) return 'unknown age';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function utcTime(unixSeconds) {
  if (unixSeconds == null) return '—';
  return new Date(unixSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function el(tag, attrs = {}, text = '') {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}
