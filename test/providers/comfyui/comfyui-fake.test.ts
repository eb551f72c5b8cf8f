/** The fake's own fidelity: the quirks of ComfyUI the provider relies on (backends.md 4). */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { DEFAULT_GRAPHS, fillWorkflow, parseWorkflow } from '../../../src/providers/comfyui/index.ts';
import { startComfyUIFake } from '../../fakes/comfyui-fake.ts';

const fakePromise = startComfyUIFake({ stepDelayMs: 1 });
after(async () => (await fakePromise).close());

const graph = fillWorkflow(parseWorkflow(DEFAULT_GRAPHS.txt2img, 'txt2img'), {
  checkpoint: 'sd_xl_base_1.0.safetensors', prompt: 'p', negative_prompt: '', width: 16, height: 16, seed: 1, steps: 40, cfg: 7, sampler: 'euler', scheduler: 'normal',
});

function listen(url: string, clientId: string) {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws?clientId=${clientId}`);
  const events: { type: string; data: Record<string, unknown> }[] = [];
  socket.on('message', (data) => events.push(JSON.parse(String(data))));
  return { socket, events, open: new Promise((resolve) => socket.once('open', resolve)) };
}

describe('ComfyUI fake', () => {
  it('sends a prompt\'s events only to its client, success before the history is written, then executing null', async () => {
    const fake = await fakePromise;
    const mine = listen(fake.url, 'mine');
    const other = listen(fake.url, 'other');
    await Promise.all([mine.open, other.open]);
    const answer = await (await fetch(`${fake.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: graph, client_id: 'mine' }) })).json();
    const id = answer.prompt_id as string;
    assert.deepEqual(await (await fetch(`${fake.url}/history/${id}`)).json(), {});
    while (!mine.events.some((e) => e.type === 'executing' && e.data.node === null)) await new Promise((resolve) => setTimeout(resolve, 5));
    const types = mine.events.map((e) => e.type).filter((t) => t !== 'status');
    assert.deepEqual(types.slice(0, 2), ['execution_start', 'execution_cached']);
    assert.ok(types.indexOf('progress') > 0 && types.indexOf('execution_success') > types.lastIndexOf('progress'));
    assert.equal(types.at(-1), 'executing');
    assert.ok(other.events.every((e) => e.type === 'status'), 'another client sees only status broadcasts');
    const history = (await (await fetch(`${fake.url}/api/history/${id}`)).json())[id];
    assert.equal(history.status.status_str, 'success');
    assert.equal(history.outputs['7'].images[0].type, 'output');
    mine.socket.close();
    other.socket.close();
  });

  it('answers 400 with node_errors for a value not in the list, and renames a different upload under a taken name', async () => {
    const fake = await fakePromise;
    const bad = structuredClone(graph);
    bad['5']!.inputs.sampler_name = 'nope';
    const response = await fetch(`${fake.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: bad }) });
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.error.type, 'prompt_outputs_failed_validation');
    assert.equal(body.node_errors['5'].errors[0].type, 'value_not_in_list');
    assert.equal(body.node_errors['5'].class_type, 'KSampler');
    const upload = async (bytes: string) => {
      const form = new FormData();
      form.append('image', new Blob([bytes]), 'x.png');
      return (await (await fetch(`${fake.url}/upload/image`, { method: 'POST', body: form })).json()).name;
    };
    assert.equal(await upload('a'), 'x.png');
    assert.equal(await upload('a'), 'x.png');
    assert.equal(await upload('b'), 'x (1).png');
  });
});
