/**
 * Jobs shared by every replica: one row per job in PostgreSQL, beside the store's tables.
 *
 * The work still runs where it was submitted (a JobRunner in that process); the row mirrors its
 * view on every change and a NOTIFY on the schema's channel tells every replica, so GET, SSE and
 * DELETE work from any of them. DELETE on another replica sets `cancel_requested` and notifies;
 * the owner aborts its local work.
 *
 * Leases: the owner renews `lease_until` of its unfinished jobs every lease/3. Every replica
 * sweeps every lease/2: an unfinished job whose lease has passed belonged to a replica that died
 * (SIGKILL, a lost machine). One UPDATE marks it failed, so only one sweeper gets each row, and its
 * quota reservation (kept in the row) is refunded by id, so it is refunded once even if the owner
 * was only slow and settles later. Such a job is failed, not retried: its input (an edit's images)
 * lived only in the dead process, and running a paid generation twice is what the caller asked
 * us not to do; the error says to submit it again.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { isFinished, type IdempotentSubmit, type JobRunner, type JobView, type Jobs } from './jobs.ts';

export interface PostgresJobsOptions {
  url: string;
  schema: string;
  runner: JobRunner;
  leaseMs: number;
  ttlMs: number;
  /** Give back an abandoned job's reservation (what JobContext.reserved was told). */
  refund: (reservation: unknown) => Promise<void>;
  onError?: (what: string, error: unknown) => void;
}

/** The error an abandoned job ends with. */
export const REPLICA_LOST = {
  code: 'replica_lost',
  message: 'the replica running this job stopped before it finished (its lease expired); its quota was refunded; submit it again',
};

export async function openPostgresJobs(options: PostgresJobsOptions): Promise<Jobs> {
  const { runner, schema, leaseMs } = options;
  const replica = `replica_${randomUUID()}`;
  const channel = `kimaging_jobs_${schema}`;
  const pool = new pg.Pool({ connectionString: options.url, max: 4, connectionTimeoutMillis: 5000, options: `-c search_path=${schema}` });
  pool.on('error', () => {});
  const report = (what: string) => (error: unknown) => options.onError?.(what, error);

  /** Local jobs by id, with their tenant: the ones this replica can cancel. */
  const local = new Map<string, string>();
  /** Writes of one job, in order, so the row never goes back to an older view. */
  const writes = new Map<string, Promise<void>>();
  const listeners = new Map<string, Set<(view: JobView) => void>>();

  const write = (id: string, step: () => Promise<unknown>) => {
    const next = (writes.get(id) ?? Promise.resolve()).then(step).then(() => undefined, report('job write'));
    writes.set(id, next);
    return next;
  };

  const mirror = (view: JobView) =>
    write(view.id, async () => {
      const { result, ...rest } = view;
      await pool.query(
        `WITH u AS (UPDATE jobs SET status = $2, view = $3, result = $4, finished_at = CASE WHEN $5 THEN now() END
                   WHERE id = $1 AND finished_at IS NULL RETURNING id)
         SELECT pg_notify($6, id) FROM u`,
        [view.id, view.status, rest, result === undefined ? null : JSON.stringify(result), isFinished(view.status), channel],
      );
      if (isFinished(view.status)) local.delete(view.id);
    });

  // One connection listens for the whole replica: job changes (`id`) and cancel requests (`cancel:id`).
  // Lost or never made (the database is down), it is made again a second later.
  let listener: pg.Client | undefined;
  let closing = false;
  let retry: NodeJS.Timeout | undefined;
  const listenLater = () => {
    if (closing || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void listen();
    }, 1000);
    retry.unref();
  };
  async function listen(): Promise<void> {
    const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5000, options: `-c search_path=${schema}` });
    client.on('error', () => {});
    client.on('end', () => {
      if (listener === client) listener = undefined;
      listenLater();
    });
    client.on('notification', (message) => void onNotification(message.payload ?? '').catch(report('notification')));
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
      listener = client;
    } catch (error) {
      report('listen')(error);
      await client.end().catch(() => {});
      listenLater();
    }
  }

  async function onNotification(payload: string): Promise<void> {
    if (payload.startsWith('cancel:')) {
      const id = payload.slice('cancel:'.length);
      const tenant = local.get(id);
      if (tenant !== undefined) runner.cancel(id, tenant);
      return;
    }
    const subscribed = listeners.get(payload);
    if (!subscribed || subscribed.size === 0) return;
    const row = (await pool.query<{ view: JobView }>('SELECT view FROM jobs WHERE id = $1', [payload])).rows[0];
    if (row) for (const listen of subscribed) listen(row.view);
  }

  const renew = setInterval(
    () => void pool.query(`UPDATE jobs SET lease_until = now() + $2 * interval '1 millisecond' WHERE owner = $1 AND finished_at IS NULL`, [replica, leaseMs]).catch(report('lease renewal')),
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  const sweeping = setInterval(() => void sweep().catch(report('lease sweep')), Math.max(100, Math.floor(leaseMs / 2)));
  renew.unref();
  sweeping.unref();

  async function sweep(): Promise<void> {
    const lost = await pool.query<{ id: string; reservation: unknown }>(
      `UPDATE jobs SET status = 'failed', finished_at = now(),
              view = (view - 'queue_position') || jsonb_build_object('status', 'failed', 'finished_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'error', $1::jsonb)
       WHERE finished_at IS NULL AND lease_until < now() RETURNING id, reservation`,
      [REPLICA_LOST],
    );
    for (const job of lost.rows) {
      if (job.reservation !== null) await options.refund(job.reservation);
      await pool.query('SELECT pg_notify($1, $2)', [channel, job.id]);
    }
    await pool.query(`DELETE FROM jobs WHERE finished_at < now() - $1 * interval '1 millisecond'`, [options.ttlMs]);
  }

  await listen();

  const jobs: Jobs = {
    async submit<T>({ idempotencyKey, ...options }: IdempotentSubmit<T>) {
      const id = `job_${randomUUID()}`;
      const view: JobView = { id, object: 'job', kind: options.kind, status: 'queued', created_at: new Date().toISOString() };
      // The row first: the unique (tenant, idempotency_key) decides, across replicas, which submission runs.
      const inserted = await pool.query(
        `INSERT INTO jobs (id, tenant, kind, status, view, owner, lease_until, idempotency_key, created_at)
         VALUES ($1, $2, $3, 'queued', $4, $5, now() + $6 * interval '1 millisecond', $7, now())
         ON CONFLICT (tenant, idempotency_key) DO NOTHING`,
        [id, options.tenant, options.kind, view, replica, leaseMs, idempotencyKey ?? null],
      );
      if (inserted.rowCount === 0) {
        const existing = await pool.query<{ view: JobView }>('SELECT view FROM jobs WHERE tenant = $1 AND idempotency_key = $2', [options.tenant, idempotencyKey]);
        if (existing.rows[0]) return existing.rows[0].view;
      }
      local.set(id, options.tenant);
      try {
        return runner.submit({
          ...options,
          id,
          onChange: (changed) => void mirror(changed),
          onReserved: (reservation) => write(id, () => pool.query('UPDATE jobs SET reservation = $2 WHERE id = $1', [id, JSON.stringify(reservation)])),
        });
      } catch (error) {
        local.delete(id);
        await pool.query('DELETE FROM jobs WHERE id = $1', [id]);
        throw error;
      }
    },
    async get(id, tenant) {
      const row = (await pool.query<{ view: JobView; result: unknown }>('SELECT view, result FROM jobs WHERE id = $1 AND tenant = $2', [id, tenant])).rows[0];
      return row && { ...row.view, ...(row.result !== null && { result: row.result }) };
    },
    async subscribe(id, tenant, listen) {
      const found = await pool.query('SELECT 1 FROM jobs WHERE id = $1 AND tenant = $2', [id, tenant]);
      if (found.rowCount === 0) return undefined;
      const set = listeners.get(id) ?? new Set();
      set.add(listen);
      listeners.set(id, set);
      return () => {
        set.delete(listen);
        if (set.size === 0) listeners.delete(id);
      };
    },
    async cancel(id, tenant) {
      if (local.get(id) === tenant) {
        runner.cancel(id, tenant);
      } else {
        await pool.query(
          `WITH u AS (UPDATE jobs SET cancel_requested = true WHERE id = $1 AND tenant = $2 AND finished_at IS NULL RETURNING id)
           SELECT pg_notify($3, 'cancel:' || id) FROM u`,
          [id, tenant, channel],
        );
      }
      return jobs.get(id, tenant);
    },
    async close() {
      closing = true;
      clearTimeout(retry);
      clearInterval(renew);
      clearInterval(sweeping);
      await runner.close();
      await Promise.all(writes.values());
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
  return jobs;
}
