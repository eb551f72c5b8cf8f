import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, type LogLevel } from '../../src/obs/log.ts';
import { makeApp } from '../helpers/app.ts';

async function loggedApp(level: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  const made = await makeApp({}, { logger: createLogger(level, (line) => lines.push(JSON.parse(line))) });
  return { ...made, lines };
}

describe('logs', () => {
  it('one JSON line per request and per routed call, with request id, tenant, model and latency; no prompt, no key', async () => {
    const { post, lines } = await loggedApp('info');
    const res = await post('/v1/generate', { prompt: 'a secret prompt', size: '64x64' }, { authorization: 'Bearer sk-very-secret', 'x-request-id': 'req-1' });
    assert.equal(res.status, 200);
    const routed = lines.find((l) => l.msg === 'routed')!;
    assert.equal(routed.request_id, 'req-1');
    assert.equal(routed.tenant, 'local');
    assert.equal(routed.model, 'stub');
    assert.equal(typeof routed.latency_ms, 'number');
    const request = lines.find((l) => l.msg === 'request')!;
    assert.deepEqual([request.request_id, request.route, request.status], ['req-1', '/v1/generate', 200]);
    const text = JSON.stringify(lines);
    assert.ok(!text.includes('a secret prompt'), 'prompts are not logged at info');
    assert.ok(!text.includes('sk-very-secret'), 'keys are never logged');
  });

  it('logs the prompt at debug level only', async () => {
    const { post, lines } = await loggedApp('debug');
    await post('/v1/generate', { prompt: 'a debug prompt', size: '64x64' });
    assert.equal(lines.find((l) => l.msg === 'routed')!.prompt, 'a debug prompt');
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text with requests by route and status, images, latency histograms, queue depth and cache counters', async () => {
    const { app, post } = await makeApp({ policy: { quota: { images_per_day: 2 } } });
    await post('/v1/generate', { prompt: 'a fox', size: '64x64', seed: 1 });
    await post('/v1/generate', { prompt: 'a fox', size: '64x64', seed: 1 });
    await post('/v1/generate', { prompt: '' });
    await post('/v1/generate', { prompt: 'explicit porn', size: '64x64' });
    await post('/v1/generate', { prompt: 'a third fox', size: '64x64' });
    const res = await app.request('/metrics');
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const line of [
      'kimaging_http_requests_total{method="POST",route="/v1/generate",status="200"} 2',
      'kimaging_http_requests_total{method="POST",route="/v1/generate",status="400"} 1',
      'kimaging_images_total{model="stub",provider="stub",cached="false"} 1',
      'kimaging_images_total{model="stub",provider="stub",cached="true"} 1',
      'kimaging_backend_latency_seconds_count{backend="stub",outcome="ok"} 1',
      'kimaging_queue_depth{backend="stub"} 0',
      'kimaging_cache_requests_total{result="miss"} 1',
      'kimaging_cache_requests_total{result="hit_memory"} 1',
      'kimaging_quota_rejections_total{reason="quota_exceeded"} 1',
      'kimaging_safety_rejections_total{stage="prompt"} 1',
    ]) {
      assert.ok(text.includes(line), `missing: ${line}`);
    }
  });
});
