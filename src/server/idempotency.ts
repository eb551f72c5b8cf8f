/**
 * `Idempotency-Key` on POST routes: the same key from the same tenant names one job, so a retried
 * request gets the first one's job (async) or answer (sync) and is billed once. A sync request
 * with a key runs as a job and waits for it; the answer is then JSON, whatever Accept says, and
 * a caller that goes away does not cancel it (its retry picks up the same work).
 */
import type { Context } from 'hono';
import { ERROR_CODES, ImagegenError, type ErrorCode } from '../imagegen/index.ts';
import { isFinished, type JobView, type Jobs } from '../jobs/jobs.ts';

const HEADER = 'idempotency-key';
/** Printable ASCII, as in the IETF draft's examples (UUIDs, random tokens). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKeyOf(c: Context): string | undefined {
  const key = c.req.header(HEADER);
  if (key === undefined) return undefined;
  if (!KEY_SHAPE.test(key)) {
    throw new ImagegenError('invalid_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces', { param: 'Idempotency-Key' });
  }
  return key;
}

/** The job once finished: its result, or its error thrown again. */
export async function finishedResult(jobs: Jobs, id: string, tenant: string): Promise<unknown> {
  let done!: (view: JobView) => void;
  const finished = new Promise<JobView>((resolve) => (done = resolve));
  const unsubscribe = await jobs.subscribe(id, tenant, (view) => isFinished(view.status) && done(view));
  try {
    const now = await jobs.get(id, tenant);
    if (now && isFinished(now.status)) done(now);
    await finished;
    const view = (await jobs.get(id, tenant))!;
    if (view.status === 'succeeded') return view.result;
    const code = view.error?.code as ErrorCode;
    const message = view.error?.message ?? `the job ${view.status}`;
    throw ERROR_CODES.includes(code) ? new ImagegenError(code, message, view.error?.param === undefined ? {} : { param: view.error.param }) : new ImagegenError('provider_error', message);
  } finally {
    unsubscribe?.();
  }
}
