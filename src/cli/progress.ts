/**
 * Long work on the command line: submit it as an async job, follow its events with a progress
 * bar on stderr (place in line while queued, then percent), and hand back the finished job.
 */
import type { Client } from './client.ts';

export interface JobEvent {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  queue_position?: number;
  progress?: { fraction?: number; step?: number; total_steps?: number };
}

const BAR_WIDTH = 24;
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/** One line of the bar for a job event. */
export function progressLine(event: JobEvent): string {
  if (event.status === 'queued') return event.queue_position ? `queued: ${ordinal(event.queue_position)} in line` : 'queued';
  if (FINISHED.has(event.status)) return event.status;
  const fraction = event.progress?.fraction;
  if (fraction === undefined) return 'running';
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  const steps = event.progress?.step !== undefined && event.progress.total_steps ? ` ${event.progress.step}/${event.progress.total_steps}` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%${steps}`;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** Follows a job's events until it finishes, redrawing one line on `out`; returns the job as GET gives it. */
export async function followJob(client: Client, id: string, out: { write(text: string): unknown }): Promise<unknown> {
  let last = '';
  for await (const event of client.events(`/v1/jobs/${encodeURIComponent(id)}/events`)) {
    const line = progressLine(JSON.parse(event.data) as JobEvent);
    if (line !== last) out.write(`\r${line.padEnd(last.length)}`);
    last = line;
  }
  out.write('\n');
  return (await client.call('GET', `/v1/jobs/${encodeURIComponent(id)}`)).json;
}
