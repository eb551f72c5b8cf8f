/** Real daemons sharing one PostgreSQL schema: each with its own data folder, the same config. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './app.ts';
import { startDaemonProcess, type DaemonProcess } from './processes.ts';
import type { TestSchema } from './postgres.ts';

export async function startReplicas(count: number, schema: TestSchema, config: Record<string, unknown>, env: Record<string, string> = {}): Promise<DaemonProcess[]> {
  const full = {
    ...config,
    store: { type: 'postgres', url_env: 'TEST_REPLICA_PG_URL', schema: schema.schema },
    policy: { safety: { image: { enabled: false } } },
    log: { level: 'warn' },
  };
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => {
      const dir = tempDir();
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify({ ...full, server: { data_dir: join(dir, 'data') } }));
      return startDaemonProcess(['--config', path], { TEST_REPLICA_PG_URL: schema.url, ...env });
    }),
  );
  const daemons = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failed = started.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return daemons;
}
