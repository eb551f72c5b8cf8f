import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/cli.ts';
import { progressLine } from '../../src/cli/progress.ts';

describe('CLI progress', () => {
  it('draws the place in line while queued, then a percent bar', () => {
    assert.equal(progressLine({ id: 'j', status: 'queued', queue_position: 2 }), 'queued: 2nd in line');
    assert.equal(progressLine({ id: 'j', status: 'running', progress: { fraction: 0.5, step: 1, total_steps: 2 } }), `[${'#'.repeat(12)}${'-'.repeat(12)}]  50% 1/2`);
    assert.equal(progressLine({ id: 'j', status: 'running' }), 'running');
  });

  it('--progress runs the request as a job, follows it and writes the files when done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kimaging-cli-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `server: { data_dir: ${JSON.stringify(join(dir, 'data'))} }\nproviders: { s: { type: stub, latency_ms: 30 } }\nmodels: [{ id: m, provider: s, model: stub }]\n`);
    const out = join(dir, 'out') + '/';
    const code = await main(['generate', 'a fox', '-n', '2', '--size', '64x64', '--seed', '3', '--local', '--config', config, '--progress', '-o', out], {});
    assert.equal(code, 0);
    assert.deepEqual(readdirSync(out).sort(), ['a-fox-3.png', 'a-fox-4.png']);
  });
});
