// Playground: the knobs of /v1/generate and /v1/edit, run as async jobs, results in a grid.
import { api, cancelJob, dataUrl, runJob } from './api.js';
import { $, el, show, showError } from './dom.js';
import { createMaskEditor } from './mask.js';

const MAX_SEED = 4294967294;
/** Form field -> how its value goes on the wire (empty or disabled fields are left out). */
const FIELDS = {
  prompt: String,
  negative_prompt: String,
  size: String,
  n: Number,
  steps: Number,
  cfg_scale: Number,
  sampler: String,
  scheduler: String,
};
/** What a card's action needs the chosen model to be able to do. */
const NEEDS = { init: 'img2img', inpaint: 'inpaint' };

export function initPlayground(state) {
  const form = $('#gen-form');
  const grid = $('#grid');
  const models = modelTable(state.models);
  const ui = { job: undefined, init: undefined };
  const mask = createMaskEditor({ onRun: (image, maskUrl) => submit({ image, mask: maskUrl }) });

  fillModels($('#model'), state.models);
  void fillVocabulary();
  const applyModel = () => applyKnobs(models.get($('#model').value));
  $('#model').addEventListener('change', applyModel);
  applyModel();

  $('#seed').addEventListener('input', () => ($('#seed-lock').checked = $('#seed').value !== ''));
  $('#seed-reroll').addEventListener('click', () => {
    $('#seed').value = String(Math.floor(Math.random() * (MAX_SEED + 1)));
    $('#seed-lock').checked = true;
  });
  $('#strength').addEventListener('input', () => ($('#strength-out').value = $('#strength').value));
  $('#init-clear').addEventListener('click', () => setInit(undefined));
  $('#job-cancel').addEventListener('click', () => ui.job && void cancelJob(ui.job).catch((error) => showError($('#gen-error'), error)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(ui.init ? { image: ui.init } : {});
  });

  function setInit(image) {
    ui.init = image;
    show($('#init-panel'), Boolean(image));
    if (image) $('#init-thumb').src = image;
    $('#generate').textContent = image ? 'Generate from init image' : 'Generate';
  }

  function settings() {
    const body = {};
    for (const [name, cast] of Object.entries(FIELDS)) {
      const input = form.elements[name];
      if (!input.disabled && input.value.trim() !== '') body[name] = cast(input.value.trim());
    }
    const model = $('#model').value;
    if (model) body.model = model;
    if ($('#seed-lock').checked && $('#seed').value !== '' && !$('#seed').disabled) body.seed = Number($('#seed').value);
    return body;
  }

  async function submit(edit) {
    const error = $('#gen-error');
    showError(error, undefined);
    if (!form.elements.prompt.value.trim()) {
      showError(error, new Error('Write a prompt first.'));
      form.elements.prompt.focus();
      return;
    }
    const body = settings();
    const path = edit.image ? '/v1/edit' : '/v1/generate';
    if (edit.image) Object.assign(body, edit, !$('#strength').disabled && { strength: Number($('#strength').value) });
    const result = await track(path, body);
    if (!result) return;
    if (!$('#seed-lock').checked && result.images[0]?.seed !== undefined) $('#seed').value = String(result.images[0].seed);
    const reused = { ...body };
    delete reused.image;
    delete reused.mask;
    addCards(result, reused, edit.mask ? 'inpainted' : edit.image ? 'from init image' : '');
  }

  /** Run one job with the progress bar and cancel button; the result, or undefined. */
  async function track(path, body) {
    const bar = $('#job-bar');
    const label = $('#job-label');
    const setBar = (percent, text) => {
      bar.firstElementChild.style.width = `${percent}%`;
      bar.setAttribute('aria-valuenow', String(Math.round(percent)));
      label.textContent = text;
    };
    setBar(0, 'Submitting…');
    show($('#job'), true);
    $('#job-cancel').disabled = false;
    $('#generate').disabled = true;
    try {
      const { job, result } = await runJob(path, body, {
        onView: (view) => {
          ui.job = view.id;
          if (view.status === 'queued') setBar(0, view.queue_position ? `Queued: place ${view.queue_position} in line` : 'Queued');
          else if (view.status === 'running') {
            const percent = (view.progress?.fraction ?? 0) * 100;
            setBar(percent, `Running: ${Math.round(percent)} %`);
          } else if (view.status === 'succeeded') setBar(100, 'Done: 100 %');
        },
      });
      if (job.status === 'cancelled') setBar(0, 'Cancelled');
      return result;
    } catch (error) {
      setBar(0, 'Failed');
      showError($('#gen-error'), error);
      return undefined;
    } finally {
      ui.job = undefined;
      $('#job-cancel').disabled = true;
      $('#generate').disabled = false;
    }
  }

  function addCards(result, body, note) {
    const cards = result.images.map((image, index) => card(result, image, index, body, note));
    grid.prepend(...cards);
    refreshActions();
    cards[0]?.querySelector('img').scrollIntoView({ block: 'nearest' });
  }

  function card(result, image, index, body, note) {
    const url = dataUrl(image);
    const seed = image.seed;
    const caption = [seed !== undefined && `seed ${seed}`, `${image.width}×${image.height}`, result.model, result.cached && 'cached', note].filter(Boolean).join(' · ');
    const warnings = result.warnings.map((w) => el('li', { textContent: w.setting ? `${w.setting}: ${w.message}` : w.message }));
    const extension = image.mime_type.split('/')[1] ?? 'png';
    const button = (text, onClick, needs) => {
      const b = el('button', { type: 'button', textContent: text });
      b.addEventListener('click', onClick);
      if (needs) b.dataset.needs = needs;
      return b;
    };
    return el('li', { className: 'card result' }, [
      el('img', { src: url, alt: `${body.prompt ?? 'image'} (${caption})`, width: image.width, height: image.height }),
      el('p', { className: 'seed', textContent: caption }),
      ...(warnings.length ? [el('ul', { className: 'warnings', ariaLabel: 'Warnings' }, warnings)] : []),
      el('div', { className: 'card-actions' }, [
        el('a', { href: url, download: `kimaging-${seed ?? index}.${extension}`, textContent: 'Download', className: 'button' }),
        button('Reuse settings', () => reuse({ ...body, ...(seed !== undefined && { seed, n: 1 }) })),
        button('Upscale', () => void upscale(url)),
        button('Use as init image', () => setInit(url), NEEDS.init),
        button('Inpaint', () => mask.open(url), NEEDS.inpaint),
      ]),
    ]);
  }

  async function upscale(url) {
    const [method, scale] = $('#upscale-method').value.split(':');
    const result = await track('/v1/upscale', { image: url, scale: Number(scale), method });
    if (result) addCards(result, {}, `upscaled ${scale}x (${method})`);
  }

  function reuse(body) {
    for (const name of Object.keys(FIELDS)) form.elements[name].value = body[name] ?? (name === 'n' ? '1' : '');
    if (body.model && models.has(body.model)) $('#model').value = body.model;
    $('#seed').value = body.seed ?? '';
    $('#seed-lock').checked = body.seed !== undefined;
    applyModel();
    form.elements.prompt.focus();
  }

  function refreshActions() {
    const model = models.get($('#model').value);
    for (const b of grid.querySelectorAll('[data-needs]')) {
      b.disabled = model ? !model.capabilities.includes(b.dataset.needs) : false;
      b.title = b.disabled ? `${model.id} cannot do ${b.dataset.needs}` : '';
    }
  }

  function applyKnobs(model) {
    const knobs = new Set(model?.knobs ?? []);
    const missing = new Set();
    for (const element of form.querySelectorAll('[data-knob]')) {
      const off = Boolean(model) && !knobs.has(element.dataset.knob);
      if (off) missing.add(element.dataset.knob);
      if ('disabled' in element && element.tagName !== 'LABEL') element.disabled = off;
      element.classList.toggle('unsupported', off);
    }
    $('#model-info').textContent = model
      ? `${model.label}: ${model.capabilities.join(', ')}. ${missing.size ? `Cannot honour: ${[...missing].join(', ')} (greyed out).` : 'Honours every knob.'}`
      : '';
    refreshActions();
  }

  return { visible: () => {} };
}

/** Model or alias id -> {id, label, knobs, capabilities}; an alias acts like its first model. */
function modelTable(list) {
  const table = new Map(list.data.map((m) => [m.id, { id: m.id, label: `${m.id} (${m.owned_by})`, knobs: m.knobs, capabilities: m.capabilities }]));
  for (const [alias, chain] of Object.entries(list.aliases ?? {})) {
    const first = table.get(chain[0]);
    if (first) table.set(alias, { ...first, id: alias, label: `${alias}, tries ${chain.join(' then ')}` });
  }
  return table;
}

function fillModels(select, list) {
  const group = (label, ids) => el('optgroup', { label }, ids.map((id) => el('option', { value: id, textContent: id })));
  const aliases = Object.keys(list.aliases ?? {});
  select.append(group('Models', list.data.map((m) => m.id)), ...(aliases.length ? [group('Aliases', aliases)] : []));
  select.value = list.default_model;
}

async function fillVocabulary() {
  const vocabulary = await api('/console/vocabulary.json');
  for (const [name, choices] of [['sampler', vocabulary.samplers], ['scheduler', vocabulary.schedulers]]) {
    $(`#${name}`).append(...choices.map((c) => el('option', { value: c.id, textContent: c.label })));
  }
}
