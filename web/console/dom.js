// Small DOM helpers shared by the views.

export const $ = (selector, root = document) => root.querySelector(selector);

export function show(element, visible) {
  element.hidden = !visible;
}

/** An element with properties and children: el('td', {textContent: 'x'}), el('ul', {}, [li]). */
export function el(tag, props = {}, children = []) {
  const element = Object.assign(document.createElement(tag), props);
  for (const child of children) element.append(child);
  return element;
}

/** Show an API error's message in an alert paragraph, or hide it with no error. */
export function showError(element, error) {
  element.textContent = error ? error.message : '';
  show(element, Boolean(error));
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
