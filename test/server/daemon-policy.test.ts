/**
 * The daemon with policy: open mode is loopback-only, and the usage ledger survives SIGKILL
 * mid-load (every request that got an answer has its record).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { startDaemon } from '../../src/server/daemon.ts';
import { SQLITE_FILE } from '../../src/store/index.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from '../helpers/app.ts';

describe('daemon and policy', () => {
  it('refuses a non-loopback address when no tenants are configured', async () => {
    const config = parseConfig({ server: { host: '0.0.0.0', port: 0, data_dir: tempDir() } });
    await assert.rejects(startDaemon(config), /refusing to listen on 0\.0\.0\.0 with no tenants configured/);
  });

  it('binds any address once tenants exist', async () => {
    const config = parseConfig({ server: { host: '0.0.0.0', port: 0, data_dir: tempDir() }, tenants: [{ id: 'acme' }], policy: { safety: { image: { enabled: false } } } });
    const daemon = await startDaemon(config);
    const port = new URL(daemon.url).port;
    assert.equal((await fetch(`http://127.0.0.1:${port}/v1/models`)).status, 401);
    await daemon.close();
  });

  it('has a ledger record for every answered request after SIGKILL mid-load', async () => {
    const dir = tempDir();
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        server: { port: 0, data_dir: join(dir, 'data') },
        providers: { slow: { type: 'stub', latency_ms: 20 } },
        models: [{ id: 'stub', provider: 'slow' }],
        policy: { quota: { images_per_day: 40 }, safety: { image: { enabled: false } } },
      }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /listening on (\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`daemon exited ${code} before listening`)));
    });

    const answered: { requestId: string; status: number; images: number }[] = [];
    let killed = false;
    const worker = async (w: number) => {
      for (let i = 0; !killed; i++) {
        try {
          const response = await fetch(`${url}/v1/generate`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': `w${w}-${i}` },
            body: JSON.stringify({ prompt: `fox ${w} ${i}`, n: 1 + (i % 2), size: '64x64' }),
          });
          const body = await response.json();
          answered.push({ requestId: response.headers.get('x-request-id')!, status: response.status, images: body.images?.length ?? 0 });
          if (answered.length >= 40 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        } catch {
          return; // the daemon is gone: this request got no answer
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    assert.equal(child.signalCode, 'SIGKILL');

    const store = openSqliteStore(join(dir, 'data', SQLITE_FILE));
    const records = await store.usage.list({ from: new Date(0), to: new Date(Date.now() + 60_000) });
    await store.close();
    const byRequest = new Map(records.map((r) => [r.requestId, r]));
    const missing = answered.filter((a) => !byRequest.has(a.requestId));
    assert.deepEqual(missing, [], 'every answered request has its record');
    for (const a of answered) {
      const record = byRequest.get(a.requestId)!;
      assert.equal(record.images, a.images, `${a.requestId}: ledger images equal images returned`);
      assert.equal(record.status === 'ok', a.status === 200);
    }
    assert.ok(answered.some((a) => a.status === 429), 'the quota ran out during the run');
    const delivered = answered.reduce((sum, a) => sum + a.images, 0);
    assert.ok(delivered <= 40);
    console.log(`SIGKILL ledger: ${answered.length} answered (${delivered} images), ${records.length} records on disk`);
  });
});
