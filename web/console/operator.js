// Operator views (admin keys): usage chart, quota per tenant, backend health, API keys.
import uPlot from '/console/vendor/uPlot.esm.js';
import { api } from './api.js';
import { $, el, show, showError } from './dom.js';

const DAY_MS = 86_400_000;
const REFRESH_MS = 2000;
/** Series colours readable on light and dark backgrounds. */
const PALETTE = ['#3b82f6', '#f97316', '#10b981', '#e11d48', '#a855f7', '#eab308', '#06b6d4', '#84cc16'];
const METERS = ['images', 'megapixels', 'cost'];

export function initOperator(state) {
  let chart;
  let timer;

  $('#usage-refresh').addEventListener('click', () => void loadUsage());
  $('#usage-days').addEventListener('change', () => void loadUsage());
  $('#key-create').addEventListener('submit', (event) => {
    event.preventDefault();
    void createKey();
  });
  $('#key-created-copy').addEventListener('click', () => {
    $('#key-created-value').select();
    void navigator.clipboard?.writeText($('#key-created-value').value).catch(() => {});
  });
  if (state.open) {
    for (const input of $('#key-create').elements) input.disabled = true;
    $('#keys-error').textContent = 'Open mode: no tenants are configured, so there are no keys. Add tenants to the config to serve a network.';
    show($('#keys-error'), true);
  }

  const resize = new ResizeObserver(() => chart?.setSize(chartSize()));
  resize.observe($('#usage-chart'));

  async function loadUsage() {
    const days = Number($('#usage-days').value);
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const starts = Array.from({ length: days }, (_, i) => today - (days - 1 - i) * DAY_MS);
    const iso = (ms) => new Date(ms).toISOString();
    try {
      // The ledger groups by day or by model; a chart of both asks once per day, by model.
      const [total, ...perDay] = await Promise.all([
        api(`/v1/usage?group_by=model&from=${iso(starts[0])}&to=${iso(today + DAY_MS)}`),
        ...starts.map((start) => api(`/v1/usage?group_by=model&from=${iso(start)}&to=${iso(start + DAY_MS)}`)),
      ]);
      showError($('#operator-error'), undefined);
      const models = [...new Set(total.data.map((row) => row.model))].sort();
      const series = models.map((model) => perDay.map((day) => day.data.filter((row) => row.model === model).reduce((sum, row) => sum + row.images, 0)));
      drawChart(starts.map((ms) => ms / 1000), models, series);
      fillUsageTable(total.data);
    } catch (error) {
      showError($('#operator-error'), error);
    }
  }

  function chartSize() {
    return { width: Math.max(240, $('#usage-chart').clientWidth), height: 260 };
  }

  function drawChart(xs, models, series) {
    chart?.destroy();
    const ink = getComputedStyle(document.body).getPropertyValue('--fg').trim() || '#111';
    const grid = getComputedStyle(document.body).getPropertyValue('--line').trim() || '#ddd';
    const axis = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
    chart = new uPlot(
      {
        ...chartSize(),
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          // Days are UTC days (as the queries ask): plain numbers, so ticks fall on UTC midnights
          // whatever the browser's zone; one per day, or per few days when narrow.
          { ...axis, space: 60, incrs: [1, 2, 7, 14].map((d) => d * 86400), values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) },
          { ...axis, label: 'images' },
        ],
        series: [
          { label: 'day', value: (_u, ts) => (ts == null ? '' : new Date(ts * 1000).toISOString().slice(0, 10)) },
          ...models.map((model, i) => ({ label: model, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: true, size: 6 } })),
        ],
      },
      [xs, ...series],
      $('#usage-chart'),
    );
  }

  function fillUsageTable(rows) {
    const byModel = new Map();
    for (const row of rows) {
      const sum = byModel.get(row.model) ?? { requests: 0, images: 0, megapixels: 0, cost: 0, failed: 0 };
      for (const k of Object.keys(sum)) sum[k] += row[k];
      byModel.set(row.model, sum);
    }
    $('#usage-table tbody').replaceChildren(
      ...[...byModel].map(([model, s]) => row([model, s.requests, s.images, round(s.megapixels), round(s.cost), s.failed])),
    );
    if (byModel.size === 0) $('#usage-table tbody').append(row(['no requests in this span', '', '', '', '', '']));
  }

  async function refreshLive() {
    try {
      const [health, tenants] = await Promise.all([api('/healthz'), api('/v1/admin/tenants')]);
      $('#health-table tbody').replaceChildren(
        ...health.backends.map((b) =>
          el('tr', {}, [
            el('th', { scope: 'row', textContent: b.name }),
            el('td', {}, [el('span', { className: `state ${b.state}`, textContent: b.state.replace('_', ' ') })]),
            el('td', { textContent: `${b.running} / ${b.concurrency}` }),
            el('td', { textContent: `${b.queued} / ${b.queue_limit}` }),
            el('td', { textContent: b.check ? `${b.check.ok ? 'ok' : `failed: ${b.check.error ?? ''}`} (${Math.round(b.check.latency_ms)} ms)` : '—' }),
          ]),
        ),
      );
      $('#health-at').textContent = `updated ${new Date().toLocaleTimeString()}`;
      $('#quota-table tbody').replaceChildren(
        ...tenants.data.map((t) => el('tr', {}, [el('th', { scope: 'row', textContent: t.name }), ...METERS.map((m) => meterCell(t.quota[m]))])),
      );
      const select = $('#key-tenant');
      if (!select.options.length) select.append(...tenants.data.map((t) => el('option', { value: t.id, textContent: t.id })));
    } catch (error) {
      showError($('#operator-error'), error);
    }
  }

  async function loadKeys() {
    try {
      const keys = await api('/v1/admin/keys');
      $('#keys-table tbody').replaceChildren(
        ...keys.data.map((k) => {
          const revoke = el('button', { type: 'button', textContent: 'Revoke', disabled: Boolean(k.revoked_at), ariaLabel: `Revoke ${k.id}` });
          revoke.addEventListener('click', () => void revokeKey(k));
          return el('tr', {}, [
            el('th', { scope: 'row', textContent: k.id }),
            ...[k.tenant, k.name ?? '—', `${k.prefix}…`, k.created_at.slice(0, 16).replace('T', ' ')].map((text) => el('td', { textContent: text })),
            el('td', { textContent: k.revoked_at ? 'revoked' : 'active' }),
            el('td', {}, [revoke]),
          ]);
        }),
      );
    } catch (error) {
      showError($('#keys-error'), error);
    }
  }

  async function createKey() {
    try {
      const name = $('#key-name').value.trim();
      const created = await api('/v1/admin/keys', { method: 'POST', body: { tenant: $('#key-tenant').value, ...(name && { name }) } });
      showError($('#keys-error'), undefined);
      $('#key-created-tenant').textContent = created.tenant;
      $('#key-created-value').value = created.key;
      show($('#key-created'), true);
      $('#key-created-value').focus();
      $('#key-created-value').select();
      await loadKeys();
    } catch (error) {
      showError($('#keys-error'), error);
    }
  }

  async function revokeKey(k) {
    if (!confirm(`Revoke ${k.id} (${k.tenant}${k.name ? `, ${k.name}` : ''})? Callers using it get 401 at once.`)) return;
    try {
      await api(`/v1/admin/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
      await loadKeys();
    } catch (error) {
      showError($('#keys-error'), error);
    }
  }

  return {
    // Live refresh only while the view is shown: nobody reads a hidden table.
    visible(shown) {
      clearInterval(timer);
      if (!shown) return;
      void loadUsage();
      void loadKeys();
      void refreshLive();
      timer = setInterval(refreshLive, REFRESH_MS);
    },
  };
}

const round = (value) => Math.round(value * 1000) / 1000;

function row(cells) {
  const [first, ...rest] = cells;
  return el('tr', {}, [el('th', { scope: 'row', textContent: String(first) }), ...rest.map((c) => el('td', { textContent: String(c) }))]);
}

function meterCell({ used, limit }) {
  const text = limit === null ? `${round(used)} (no limit)` : `${round(used)} / ${limit}`;
  const children = [el('span', { textContent: text })];
  if (limit !== null) children.unshift(el('meter', { min: 0, max: limit || 1, value: used, high: (limit || 1) * 0.8, optimum: 0, ariaLabel: text }));
  return el('td', {}, children);
}
