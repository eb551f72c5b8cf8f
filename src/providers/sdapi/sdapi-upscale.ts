/**
 * SDAPI's POST /sdapi/v1/extra-single-image (AUTOMATIC1111, Forge, SD.Next) with a named
 * upscaler: the `provider` upscale method. A small client on its own: body in, image bytes out,
 * every call through an injectable fetch. stable-diffusion.cpp's sd-server has no such route.
 *
 * Facts (backends.md 2.5, A1111 modules/api/api.py, scripts/postprocessing_upscale.py):
 * `resize_mode` 0 scales by `upscaling_resize`; the answer is `{image: base64, html_info}`.
 * An upscaler name the server does not know fails an `assert` inside the extras script, which
 * A1111's exception middleware answers with 500 `{error: "AssertionError", detail: "", body: "",
 * errors: "could not find upscaler named ..."}`; retrying cannot help, so it is not retryable.
 */
import { abortError, ImagegenError, isRetryableStatus } from '../../imagegen/index.ts';

export interface SdapiUpscaleSettings {
  /** e.g. http://127.0.0.1:7860 */
  baseURL: string;
  /** The provider's name in the config, for error messages. */
  provider?: string;
  /** Read at each call (credentials come from the environment). */
  headers?: () => Record<string, string>;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

export interface SdapiUpscaleRequest {
  /** The image (PNG, JPEG or WebP bytes). */
  image: Uint8Array;
  scale: number;
  /** An upscaler name as GET /sdapi/v1/upscalers lists it, e.g. "R-ESRGAN 4x+". */
  upscaler: string;
  signal?: AbortSignal;
}

export interface SdapiUpscaler {
  upscale(request: SdapiUpscaleRequest): Promise<Uint8Array>;
}

interface ErrorBody {
  error?: string;
  detail?: string | { msg?: string; loc?: unknown[] }[];
  errors?: string;
}

export function createSdapiUpscaler(settings: SdapiUpscaleSettings): SdapiUpscaler {
  const provider = settings.provider ?? 'sdapi';
  const url = `${settings.baseURL.replace(/\/+$/, '')}/sdapi/v1/extra-single-image`;
  return {
    async upscale(request) {
      const body = {
        image: Buffer.from(request.image).toString('base64'),
        resize_mode: 0,
        upscaling_resize: request.scale,
        upscaler_1: request.upscaler,
        upscaler_2: 'None',
        extras_upscaler_2_visibility: 0,
        gfpgan_visibility: 0,
        codeformer_visibility: 0,
        show_extras_results: true,
      };
      const timeout = settings.timeoutMs ? AbortSignal.timeout(settings.timeoutMs) : undefined;
      const signal = AbortSignal.any([request.signal, timeout].filter((s): s is AbortSignal => s !== undefined));
      let response: Response;
      try {
        response = await (settings.fetch ?? globalThis.fetch)(url, {
          method: 'POST',
          headers: { ...settings.headers?.(), 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal,
        });
      } catch (error) {
        if (request.signal?.aborted) throw abortError(request.signal);
        if (timeout?.aborted) throw new ImagegenError('provider_timeout', `${provider} did not answer the upscale within ${settings.timeoutMs} ms`, { provider });
        throw new ImagegenError('provider_error', `cannot reach ${provider} at ${url}: ${(error as Error).message}`, { provider, retryable: true, cause: error });
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (!response.ok) throw errorFromAnswer(response.status, json as ErrorBody | undefined, text, provider);
      const image = (json as { image?: unknown } | undefined)?.image;
      if (typeof image !== 'string' || image.length === 0) {
        throw new ImagegenError('provider_error', `${provider} answered the upscale without an image`, { provider, status: response.status });
      }
      return new Uint8Array(Buffer.from(image.replace(/^data:[^,]*,/, ''), 'base64'));
    },
  };
}

function errorFromAnswer(status: number, body: ErrorBody | undefined, text: string, provider: string): ImagegenError {
  const detail = Array.isArray(body?.detail) ? body.detail.map((d) => d.msg).filter(Boolean).join('; ') : body?.detail;
  const message = body?.errors || detail || body?.error || text.slice(0, 200) || `HTTP ${status}`;
  const unknownUpscaler = body?.error === 'AssertionError' && /upscaler/i.test(body.errors ?? '');
  const code = status === 408 || status === 504 ? 'provider_timeout' : status === 429 ? 'rate_limited' : 'provider_error';
  return new ImagegenError(code, `${provider} refused the upscale (${status}): ${message}`, {
    provider,
    status,
    retryable: !unknownUpscaler && isRetryableStatus(status),
  });
}
