/** The daemon's error body ({error: {code, message, param}}) as the AI SDK's APICallError. */
import { APICallError } from '@ai-sdk/provider';

export interface KoderImagingErrorData {
  error: { code: string; message: string; param?: string; type?: string };
}

/** 408, 409, 429 and 5xx may succeed when tried again; the rest will not. */
const isRetryable = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/** Response headers as a plain record (the DOM lib's Headers type is not iterable here). */
export function headersOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => (out[key] = value));
  return out;
}

export function apiCallError(response: Response, url: string, requestBodyValues: unknown, text: string): APICallError {
  let data: KoderImagingErrorData | undefined;
  try {
    data = JSON.parse(text) as KoderImagingErrorData;
  } catch {
    data = undefined;
  }
  const detail = data?.error;
  return new APICallError({
    message: detail ? `${detail.message}${detail.param ? ` (param: ${detail.param})` : ''} [${detail.code}]` : `koder-imaging answered HTTP ${response.status}`,
    url,
    requestBodyValues,
    statusCode: response.status,
    responseHeaders: headersOf(response),
    responseBody: text,
    isRetryable: isRetryable(response.status),
    data,
  });
}
