import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobRunner, type JobView } from '../../src/jobs/jobs.ts';
import { ImagegenError } from '../../src/imagegen/index.ts';

describe('JobRunner (the generic runner any long work can use)', () => {
  it('moves queued -> running -> succeeded, with places and progress as events, and keeps the result', async () => {
    const runner = new JobRunner({ ttlMs: 1000, maxJobs: 10 });
    let finish!: (value: string) => void;
    const job = runner.submit({
      kind: 'upscale',
      tenant: 't',
      run: async ({ queue, progress }) => {
        queue(2);
        await Promise.resolve();
        queue(2);
        queue(1);
        queue(0);
        progress({ fraction: 0.25, message: 'tile 1 of 4' });
        return new Promise<string>((resolve) => (finish = resolve));
      },
    });
    const events: JobView[] = [];
    runner.subscribe(job.id, 't', (view) => events.push(view));
    await new Promise((resolve) => setImmediate(resolve));
    finish('done');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      events.map((e) => [e.status, e.queue_position, e.progress?.fraction]),
      [
        ['queued', 1, undefined],
        ['running', undefined, undefined],
        ['running', undefined, 0.25],
        ['succeeded', undefined, 0.25],
      ],
    );
    assert.equal(runner.get(job.id, 't')!.result, 'done');
    assert.equal(runner.get(job.id, 'someone else'), undefined, "another tenant's job is not found");
    runner.close();
  });

  it('cancel aborts the work and reports cancelled; a full runner refuses with overloaded', async () => {
    const runner = new JobRunner({ ttlMs: 1000, maxJobs: 1 });
    const job = runner.submit({
      kind: 'generate',
      tenant: 't',
      run: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    assert.throws(() => runner.submit({ kind: 'generate', tenant: 't', run: async () => 1 }), (e: ImagegenError) => e.code === 'overloaded');
    runner.cancel(job.id, 't');
    await new Promise((resolve) => setImmediate(resolve));
    const view = runner.get(job.id, 't')!;
    assert.equal(view.status, 'cancelled');
    assert.equal(view.error!.code, 'cancelled');
    assert.ok(runner.submit({ kind: 'generate', tenant: 't', run: async () => 1 }).id, 'a finished job makes room');
    runner.close();
  });
});
