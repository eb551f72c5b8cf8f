// Start-up: find out whether a key is needed and whose it is, then show the view the hash names.
import { api, ApiError, key } from './api.js';
import { initPlayground } from './playground.js';
import { initCompose } from './compose.js';
import { initOperator } from './operator.js';
import { $, show } from './dom.js';

const VIEWS = ['playground', 'compose', 'operator'];
const state = { models: undefined, admin: false, open: false, started: new Set() };
const starters = { playground: initPlayground, compose: initCompose, operator: initOperator };
const views = {};

async function connect() {
  show($('#notice'), false);
  try {
    state.models = await api('/v1/models');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      // No key yet: just ask. A key that was refused: say why, and forget it.
      const message = key.get() ? error.message : '';
      key.clear();
      return askForKey(message);
    }
    return notice(error.message);
  }
  // An admin key (or open mode, whose tenant is an admin) may read the operator views.
  state.admin = await api('/v1/admin/tenants').then(() => true, () => false);
  state.open = !key.get();
  $('#who').textContent = state.open ? 'open mode (no key)' : state.admin ? 'admin key' : 'tenant key';
  show($('#forget-key'), !state.open);
  show($('[data-view="operator"]'), state.admin);
  route();
}

function askForKey(message) {
  for (const name of VIEWS) show($(`#view-${name}`), false);
  show($('#view-key'), true);
  const error = $('#key-error');
  error.textContent = message;
  show(error, Boolean(message));
  $('#key-input').focus();
}

function notice(message) {
  const el = $('#notice');
  el.textContent = message;
  show(el, true);
}

function route() {
  if (!state.models) return;
  let name = location.hash.slice(1);
  if (!VIEWS.includes(name) || (name === 'operator' && !state.admin)) name = 'playground';
  show($('#view-key'), false);
  for (const view of VIEWS) show($(`#view-${view}`), view === name);
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!state.started.has(name)) {
    state.started.add(name);
    views[name] = starters[name](state);
  }
  for (const [view, controller] of Object.entries(views)) controller?.visible?.(view === name);
}

$('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  key.set($('#key-input').value.trim());
  $('#key-input').value = '';
  void connect();
});

$('#forget-key').addEventListener('click', () => {
  key.clear();
  location.reload();
});

window.addEventListener('hashchange', route);
void connect();
