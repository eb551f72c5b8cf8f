// The inpainting mask: painted over the image at its own pixel size, sent white = repaint.
import { $, show } from './dom.js';

/** What is painted is shown red and half transparent; only its alpha counts. */
const PAINT = 'rgb(255, 0, 60)';

export function createMaskEditor({ onRun }) {
  const editor = $('#mask-editor');
  const image = $('#mask-image');
  const canvas = $('#mask-canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let source;
  let last;

  const brush = () => Number($('#brush').value);
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return { x: ((event.clientX - box.left) * canvas.width) / box.width, y: ((event.clientY - box.top) * canvas.height) / box.height };
  };
  const stroke = (from, to) => {
    // The brush is in image pixels, scaled to how large the image is shown.
    context.lineWidth = (brush() * canvas.width) / canvas.getBoundingClientRect().width;
    context.lineCap = 'round';
    context.strokeStyle = PAINT;
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  };

  canvas.addEventListener('pointerdown', (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    stroke(last, last);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!last) return;
    const next = at(event);
    stroke(last, next);
    last = next;
  });
  const stop = () => (last = undefined);
  canvas.addEventListener('pointerup', stop);
  canvas.addEventListener('pointercancel', stop);

  $('#brush').addEventListener('input', () => ($('#brush-out').value = $('#brush').value));
  $('#mask-clear').addEventListener('click', () => context.clearRect(0, 0, canvas.width, canvas.height));
  $('#mask-fill').addEventListener('click', () => {
    context.fillStyle = PAINT;
    context.fillRect(0, 0, canvas.width, canvas.height);
  });
  $('#mask-invert').addEventListener('click', () => {
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const fill = context.createImageData(pixels);
    for (let i = 0; i < pixels.data.length; i += 4) {
      fill.data.set([255, 0, 60, pixels.data[i + 3] > 127 ? 0 : 255], i);
    }
    context.putImageData(fill, 0, 0);
  });
  $('#mask-close').addEventListener('click', () => show(editor, false));
  $('#mask-run').addEventListener('click', () => {
    if (!painted()) return alertEmpty();
    void onRun(source, maskPng());
  });

  function painted() {
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] > 127) return true;
    return false;
  }

  function alertEmpty() {
    const error = $('#gen-error');
    error.textContent = 'Paint the area to repaint first (or use Fill all).';
    show(error, true);
  }

  /** Black and white at the image's size: white where painted. */
  function maskPng() {
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const out = context.createImageData(pixels);
    for (let i = 0; i < pixels.data.length; i += 4) {
      const v = pixels.data[i + 3] > 127 ? 255 : 0;
      out.data.set([v, v, v, 255], i);
    }
    const flat = document.createElement('canvas');
    flat.width = canvas.width;
    flat.height = canvas.height;
    flat.getContext('2d').putImageData(out, 0, 0);
    return flat.toDataURL('image/png');
  }

  return {
    open(url) {
      source = url;
      image.onload = () => {
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        context.clearRect(0, 0, canvas.width, canvas.height);
      };
      image.src = url;
      show(editor, true);
      editor.scrollIntoView({ block: 'nearest' });
      $('#mask-fill').focus();
    },
  };
}
