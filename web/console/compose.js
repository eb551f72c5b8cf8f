// Compose: a template's fields as a form, a live preview, and the og:image URL for the same card.
import { api, dataUrl } from './api.js';
import { $, debounce, el, show, showError } from './dom.js';

/** Field type -> the input that edits it. */
const INPUTS = {
  text: () => el('input', { type: 'text' }),
  gradient: () => el('input', { type: 'text', placeholder: '#0ea5e9,#6366f1' }),
  color: () => el('input', { type: 'text', placeholder: '#rrggbb' }),
  number: () => el('input', { type: 'number' }),
  image: () => el('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp' }),
  choice: (field) => el('select', {}, [el('option', { value: '', textContent: 'default' }), ...field.choices.map((c) => el('option', { value: c, textContent: c }))]),
};

/** A required text field starts with something, so the first preview is a card, not an error. */
const EXAMPLE_TEXT = 'Hello from koder-imaging';

export function initCompose(state) {
  const select = $('#template');
  const box = $('#compose-fields');
  let templates = new Map();
  let images = {};
  let rendering = 0;

  const preview = debounce(render, 300);

  void (async () => {
    try {
      const list = await api('/v1/compose');
      templates = new Map(list.data.map((t) => [t.id, t]));
      select.append(...list.data.map((t) => el('option', { value: t.id, textContent: `${t.id} (${t.width}×${t.height})` })));
      buildFields();
    } catch (error) {
      showError($('#compose-error'), error);
    }
  })();

  select.addEventListener('change', buildFields);
  box.addEventListener('input', preview);
  box.addEventListener('change', async (event) => {
    if (event.target.type !== 'file') return;
    const file = event.target.files[0];
    if (file) images[event.target.name] = await readAsDataUrl(file);
    else delete images[event.target.name];
    preview();
  });
  $('#og-copy').addEventListener('click', async () => {
    const url = $('#og-url');
    try {
      await navigator.clipboard.writeText(url.value);
      $('#og-note').textContent = 'Copied.';
    } catch {
      url.select();
      $('#og-note').textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
    }
  });

  function buildFields() {
    const template = templates.get(select.value);
    if (!template) return;
    images = {};
    $('#template-info').textContent = template.description;
    box.replaceChildren(
      ...Object.entries(template.fields).map(([name, field]) => {
        const input = INPUTS[field.type]?.(field) ?? INPUTS.text();
        Object.assign(input, { id: `field-${name}`, name });
        if (field.required) input.required = true;
        if (field.type === 'text' && field.required) input.value = EXAMPLE_TEXT;
        if (field.default !== undefined && input.tagName === 'INPUT' && input.type !== 'file') input.placeholder = String(field.default);
        const hint = el('span', { className: 'hint', id: `hint-${name}`, textContent: field.description });
        input.setAttribute('aria-describedby', hint.id);
        return el('div', { className: 'field' }, [el('label', { htmlFor: input.id, textContent: `${name}${field.required ? ' *' : ''}` }), input, hint]);
      }),
    );
    void render();
  }

  function fields() {
    const data = {};
    for (const input of box.querySelectorAll('input, select')) {
      if (input.type === 'file') continue;
      if (input.value.trim() !== '') data[input.name] = input.type === 'number' ? Number(input.value) : input.value.trim();
    }
    return data;
  }

  async function render() {
    const template = select.value;
    const data = fields();
    updateUrl(template, data);
    const ticket = ++rendering;
    try {
      const card = await api('/v1/compose', { method: 'POST', body: { template, data: { ...data, ...images } } });
      if (ticket !== rendering) return; // a newer edit is on its way
      showError($('#compose-error'), undefined);
      $('#compose-preview').src = dataUrl(card.images[0]);
      $('#compose-preview').alt = `Preview of the ${template} card`;
      $('#compose-warnings').textContent = card.warnings.map((w) => w.message).join(' ');
    } catch (error) {
      if (ticket === rendering) showError($('#compose-error'), error);
    }
  }

  function updateUrl(template, data) {
    const query = new URLSearchParams(Object.entries(data).map(([k, v]) => [k, String(v)]));
    $('#og-url').value = `${location.origin}/v1/compose/${encodeURIComponent(template)}?${query}`;
    const notes = [];
    if (Object.keys(images).length) notes.push('Image fields are in the preview only: a URL cannot carry a file.');
    if (!state.open) notes.push('Crawlers fetch it without a key: that needs compose.public_cards: true in the config.');
    $('#og-note').textContent = notes.join(' ');
    show($('#og-note'), true);
  }

  return { visible: () => {} };
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
