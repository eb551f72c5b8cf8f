/** Every image answer says where its time went: queue, backend, policy, encode (Server-Timing). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeApp } from '../helpers/app.ts';

const parse = (header: string | null) =>
  Object.fromEntries<number>((header ?? '').split(', ').map((part) => {
    const [name, dur] = part.split(';dur=');
    return [name!, Number(dur)] as [string, number];
  }));

test('generate answers, JSON and raw bytes, carry Server-Timing with the four stages', async () => {
  const { engine, post } = await makeApp();
  try {
    for (const accept of ['application/json', 'image/png']) {
      const res = await post('/v1/generate', { prompt: 'a red fox', size: '64x64', cache: 'no-store' }, { accept });
      assert.equal(res.status, 200);
      const timing = parse(res.headers.get('server-timing'));
      assert.deepEqual(Object.keys(timing), ['queue', 'backend', 'policy', 'encode'], accept);
      for (const value of Object.values(timing)) assert.ok(Number.isFinite(value) && value >= 0, `${accept}: ${res.headers.get('server-timing')}`);
      // The stub backend draws the image, so its call takes measurable time; policy ran too.
      assert.ok(timing.backend! > 0 && timing.policy! > 0, res.headers.get('server-timing')!);
      await res.arrayBuffer();
    }
  } finally {
    await engine.close();
  }
});

test('a cache hit shows no backend time', async () => {
  const { engine, post } = await makeApp();
  try {
    const body = { prompt: 'a blue whale', size: '64x64', seed: 7 };
    await (await post('/v1/generate', body)).json();
    const hit = await post('/v1/generate', body);
    assert.equal((await hit.json()).cached, true);
    assert.equal(parse(hit.headers.get('server-timing')).backend, 0);
  } finally {
    await engine.close();
  }
});
