// The one place the page talks to the daemon: the key, JSON calls, job events.

const KEY = 'kimaging.key';

export const key = {
  get: () => sessionStorage.getItem(KEY) ?? '',
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An API refusal: the daemon's own `error` body, so the page shows its message as is. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'http_error';
    this.param = body?.error?.param;
  }
}

function headers(extra = {}) {
  const value = key.get();
  return { ...(value && { authorization: `Bearer ${value}` }), ...extra };
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { error: { code: 'unreachable', message: 'the daemon did not answer; is it running?' } });
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/**
 * Follow a job's Server-Sent Events. EventSource cannot send an Authorization header, so the
 * stream is read with fetch. Resolves with the last view once the job is finished.
 */
export async function followJob(id, onView, signal) {
  const response = await fetch(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers: headers(), signal });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data) continue; // a keepalive comment
      last = JSON.parse(data);
      onView(last);
    }
  }
  return last;
}

/** Run long work as an async job: submit, follow its events, then fetch its result. */
export async function runJob(path, body, { onView, signal } = {}) {
  const accepted = await api(path, { method: 'POST', body: { ...body, async: true }, signal });
  onView?.(accepted);
  const last = await followJob(accepted.id, (view) => onView?.(view), signal);
  const job = await api(`/v1/jobs/${encodeURIComponent(accepted.id)}`, { signal });
  if (job.status === 'succeeded') return { job, result: job.result };
  if (job.status === 'failed') throw new ApiError(0, { error: job.error });
  return { job: job ?? last };
}

export const cancelJob = (id) => api(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const dataUrl = (image) => `data:${image.mime_type};base64,${image.b64_json}`;

/** Base64 of a data URL, as the API takes images. */
export const base64Of = (url) => url.slice(url.indexOf(',') + 1);
