/** A real daemon on 127.0.0.1 port 0 with a given providers/models config, and a fetch-based client. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from './app.ts';
import { startDaemon } from '../../src/server/daemon.ts';

export async function startTestDaemon(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'kimaging-hosted-'));
  // Our own prompt filter is off so the backends' own refusals (Replicate's NSFW drops) are what is tested.
  const daemon = await startDaemon(
    testConfig({ ...config, server: { host: '127.0.0.1', port: 0, data_dir: dataDir }, policy: { safety: { default_level: 'off' } } }),
    { env },
  );
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit =
      body instanceof FormData
        ? { method: 'POST', body, headers }
        : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
    const response = await fetch(`${daemon.url}${path}`, init);
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  return {
    url: daemon.url,
    engine: daemon.engine,
    post,
    async close() {
      await daemon.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
