// One message style for bad input on every route: the parameter, its rule (with the whole range)
// and the value sent, a stable code, always a `param`, never zod's own wording.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp, solidPng } from '../helpers/app.ts';

const { app, post } = await makeApp();

async function refusal(response: Response) {
  assert.equal(response.status, 400, await response.clone().text());
  const { error } = (await response.json()) as { error: { code: string; message: string; param?: string } };
  assert.equal(error.code, 'invalid_request');
  assert.ok(error.param, `a param in ${JSON.stringify(error)}`);
  assert.doesNotMatch(error.message, /Invalid input|expected \w+, received|Too (small|big)/, 'no raw zod text');
  return error;
}

const JSON_CASES: [body: Record<string, unknown>, param: string, message: string][] = [
  [{ prompt: 'x', steps: 0 }, 'steps', 'steps must be an integer from 1 to 1000 (got 0)'],
  [{ prompt: 'x', steps: 2.5 }, 'steps', 'steps must be an integer from 1 to 1000 (got 2.5)'],
  [{ prompt: 'x', steps: '20' }, 'steps', 'steps must be an integer from 1 to 1000 (got "20")'],
  [{ prompt: 'x', cfg_scale: 1000 }, 'cfg_scale', 'cfg_scale must be a number from 0 to 100 (got 1000)'],
  [{ prompt: 'x', seed: -1 }, 'seed', 'seed must be an integer from 0 to'],
  [{ prompt: 'x', n: 0 }, 'n', 'n must be an integer of at least 1 (got 0)'],
  [{ prompt: 42 }, 'prompt', 'prompt is required and must be a string (got 42)'],
  [{ prompt: 'x', sampler: 7 }, 'sampler', 'sampler must be a string (got 7)'],
  [{ prompt: 'x', sampler: '' }, 'sampler', 'sampler must not be empty (got "")'],
  [{ prompt: 'x', negative_prompt: false }, 'negative_prompt', 'negative_prompt must be a string (got false)'],
  [{ prompt: 'x', strict_knobs: 'yes' }, 'strict_knobs', 'strict_knobs must be a boolean (got "yes")'],
  [{ prompt: 'x', model: '' }, 'model', 'model must not be empty'],
  [{ prompt: 'x', colour: 'red' }, 'colour', 'unknown parameter "colour"'],
];

for (const [body, param, message] of JSON_CASES) {
  test(`POST /v1/generate ${JSON.stringify(body)} -> ${param}`, async () => {
    const error = await refusal(await post('/v1/generate', body));
    assert.equal(error.param, param);
    assert.ok(error.message.startsWith(message), `"${error.message}" starts with "${message}"`);
  });
}

test('JSON edits: strength names its range', async () => {
  const image = (await solidPng(8, 8, [255, 255, 255])).toString('base64');
  const error = await refusal(await post('/v1/edit', { prompt: 'x', image, strength: 2 }));
  assert.equal(error.param, 'strength');
  assert.equal(error.message, 'strength must be a number from 0 to 1 (got 2)');
});

function form(fields: Record<string, string | Blob>) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return app.request('/v1/edit', { method: 'POST', body });
}

test('multipart edit without image says which part is missing', async () => {
  const error = await refusal(await form({ prompt: 'a door' }));
  assert.equal(error.param, 'image');
  assert.equal(error.message, 'image is required: a file part named image (or base64 text)');
});

test('multipart numbers get the same rules as JSON ones, with the text that was sent', async () => {
  const image = new Blob([new Uint8Array(await solidPng(8, 8, [255, 255, 255]))], { type: 'image/png' });
  for (const [fields, param, message] of [
    [{ steps: 'abc' }, 'steps', 'steps must be an integer from 1 to 1000 (got "abc")'],
    [{ steps: '0' }, 'steps', 'steps must be an integer from 1 to 1000 (got "0")'],
    [{ cfg_scale: '' }, 'cfg_scale', 'cfg_scale must be a number from 0 to 100 (got "")'],
    [{ strength: '1.5' }, 'strength', 'strength must be a number from 0 to 1 (got "1.5")'],
    [{ async: 'maybe' }, 'async', 'async must be true or false (or 1 or 0) (got "maybe")'],
  ] as const) {
    const error = await refusal(await form({ prompt: 'a door', image, ...fields }));
    assert.equal(error.param, param);
    assert.equal(error.message, message);
  }
});
