/**
 * A cancel reaches A1111's GPU, and only for our own job: the fake keeps A1111's task table
 * (modules/progress.py) and a global `/sdapi/v1/interrupt` that stops whatever runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImagegenError, withProgress, withSignal, type ProgressEvent } from '../../../src/imagegen/index.ts';
import { createSdapiProvider } from '../../../src/providers/sdapi/index.ts';
import { startSdapiFake } from '../../fakes/sdapi-fake.ts';
import { sleep, until } from '../../helpers/wait.ts';

type Fake = Awaited<ReturnType<typeof startSdapiFake>>;

const ourTaskIds = (fake: Fake) =>
  fake.requests.filter((r) => r.path === '/sdapi/v1/txt2img' && String(r.body?.force_task_id).startsWith('kimaging-')).map((r) => String(r.body!.force_task_id));

/** Starts a generation with an abort controller; the promise settles as `cancelled`. */
function cancellable(fake: Fake, options: { taskPollMs?: number } = {}) {
  const controller = new AbortController();
  const model = createSdapiProvider({ baseURL: fake.url, flavor: 'a1111', taskPollMs: options.taskPollMs ?? 25 }).imageModel('default');
  const done = assert.rejects(model.generate({ prompt: 'ours', seed: 1 }, withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
  return { abort: () => controller.abort(), done };
}

describe('A1111 cancel', () => {
  it('interrupts our own running task, so the GPU stops drawing it', async () => {
    const fake = await startSdapiFake({ flavor: 'a1111', delayMs: 5_000 });
    try {
      const job = cancellable(fake);
      await until(() => ourTaskIds(fake).length === 1);
      await sleep(100);
      const abortedAt = Date.now();
      job.abort();
      await job.done;
      await until(() => fake.tasks.interrupted.length === 1);
      assert.deepEqual(fake.tasks.interrupted, ourTaskIds(fake));
      // The fake's generation ended at the interrupt, far before its 5 s.
      await until(() => fake.tasks.finished.length === 1);
      assert.ok(Date.now() - abortedAt < 2_000);
    } finally {
      await fake.close();
    }
  });

  it("never interrupts another caller's job; ours is interrupted when it leaves the queue", async () => {
    const fake = await startSdapiFake({ flavor: 'a1111', delayMs: 600 });
    try {
      // Someone else's job, sent straight to A1111 (its own task id), is running.
      const theirs = fetch(`${fake.url}/sdapi/v1/txt2img`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'theirs', force_task_id: 'task(theirs)' }) });
      await until(() => fake.requests.some((r) => r.body?.force_task_id === 'task(theirs)'));
      const job = cancellable(fake);
      await until(() => ourTaskIds(fake).length === 1);
      job.abort(); // ours is queued behind theirs
      await job.done;
      const answer = await theirs;
      assert.equal(answer.status, 200);
      assert.equal((await answer.json()).images.length, 1);
      await until(() => fake.tasks.interrupted.length === 1);
      assert.deepEqual(fake.tasks.interrupted, ourTaskIds(fake), 'only our task was interrupted, once it ran');
      assert.equal(fake.tasks.finished[0], 'task(theirs)');
      await sleep(200);
      assert.equal(fake.tasks.interrupted.length, 1);
    } finally {
      await fake.close();
    }
  });

  it('sends no interrupt to a server that cannot say which task runs', async () => {
    const fake = await startSdapiFake({ flavor: 'a1111', delayMs: 400, noTaskProgress: true });
    try {
      const job = cancellable(fake);
      await until(() => ourTaskIds(fake).length === 1);
      job.abort();
      await job.done;
      await until(() => fake.tasks.finished.length === 1);
      assert.deepEqual(fake.tasks.interrupted, []);
      assert.ok(!fake.requests.some((r) => r.path === '/sdapi/v1/interrupt'));
    } finally {
      await fake.close();
    }
  });

  it("reports the progress of our own task, read by its id", async () => {
    const fake = await startSdapiFake({ flavor: 'a1111', delayMs: 500 });
    try {
      const events: ProgressEvent[] = [];
      const model = createSdapiProvider({ baseURL: fake.url, flavor: 'a1111', taskPollMs: 40 }).imageModel('default');
      await model.generate({ prompt: 'p', seed: 3 }, withProgress((event) => events.push(event)));
      const asked = fake.requests.filter((r) => r.path === '/internal/progress').map((r) => r.body?.id_task);
      assert.ok(asked.length >= 3);
      assert.deepEqual(new Set(asked), new Set(ourTaskIds(fake)));
      const fractions = events.map((e) => e.fraction!);
      assert.ok(fractions.length >= 3, `saw ${fractions.length} progress events`);
      assert.ok(fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)), `fractions rise: ${fractions}`);
    } finally {
      await fake.close();
    }
  });
});
