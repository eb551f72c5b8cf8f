/**
 * A fake OpenAI Images API (backends.md 1), faithful to the quirks a client trips on:
 * - per-model size rules (gpt-image-1/1-mini/1.5 three sizes, gpt-image-2 multiples of 16 with
 *   aspect 1:3..3:1 and at most 3840x2160, dall-e-3 three sizes, dall-e-2 256/512/1024) and the
 *   `invalid_size` error body;
 * - dall-e-3 refuses n > 1 with a 400; GPT image models refuse `response_format`; dall-e-* answer
 *   with a URL unless `response_format: b64_json`;
 * - edits are multipart, image parts sent as application/octet-stream are refused, masks must be
 *   RGBA the size of the image, dall-e-2 wants one square PNG under 4 MB;
 * - `usage` (tokens) for GPT image models only; errors are `{"error": {message, type, param, code}}`;
 *   a prompt containing "forbidden" is a content_policy_violation.
 * With `flavor: 'sdcpp'` it is stable-diffusion.cpp's /v1 route instead (backends.md 3.2, 3.3): the
 * model, seed and response_format are ignored, `<sd_cpp_extra_args>` is parsed out of the prompt,
 * the mask is read as grey, errors are `{"error": "<string>"}`.
 * Prompts that steer the fake: "slow" (answers after 1.5 s), "ratelimit" (429), "crash" (500).
 */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { delay, paintPng, sendJson, startFakeServer, type FakeServer, type FilePart, type Recorded } from './hosted-fake-http.ts';

export interface OpenAIFakeOptions {
  apiKey?: string;
  flavor?: 'openai' | 'sdcpp';
}

type SizeCheck = (w: number, h: number) => boolean;
const oneOf = (...sizes: string[]): SizeCheck => (w, h) => sizes.includes(`${w}x${h}`);
const GPT1 = oneOf('1024x1024', '1536x1024', '1024x1536', 'auto');
const GPT2: SizeCheck = (w, h) => w % 16 === 0 && h % 16 === 0 && w / h <= 3 && h / w <= 3 && Math.max(w, h) <= 3840 && w * h <= 3840 * 2160;
const MODELS: Record<string, { sizes: SizeCheck; gpt: boolean; maxN: number }> = {
  'gpt-image-1': { sizes: GPT1, gpt: true, maxN: 10 },
  'gpt-image-1-mini': { sizes: GPT1, gpt: true, maxN: 10 },
  'gpt-image-1.5': { sizes: GPT1, gpt: true, maxN: 10 },
  'gpt-image-2': { sizes: GPT2, gpt: true, maxN: 10 },
  'dall-e-3': { sizes: oneOf('1024x1024', '1792x1024', '1024x1792'), gpt: false, maxN: 1 },
  'dall-e-2': { sizes: oneOf('256x256', '512x512', '1024x1024'), gpt: false, maxN: 10 },
};

const openAIError = (res: ServerResponse, status: number, message: string, param: string | null = null, code: string | null = null, type = 'invalid_request_error') =>
  sendJson(res, status, { error: { message, type, param, code } }, { 'x-request-id': `req_${Date.now()}`, ...(status === 429 && { 'retry-after': '7' }) });

export async function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<FakeServer> {
  const flavor = options.flavor ?? 'openai';
  return startFakeServer(async (req, res) => {
    if (flavor === 'openai' && options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return openAIError(res, 401, 'Incorrect API key provided.', null, 'invalid_api_key');
    }
    if (req.method === 'GET' && req.path === '/v1/models') {
      const ids = flavor === 'sdcpp' ? ['sd-cpp-local'] : ['gpt-4o', 'gpt-image-1', 'dall-e-3', 'whisper-1'];
      return sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', owned_by: 'system' })) });
    }
    const isEdit = req.path === '/v1/images/edits';
    if (req.method !== 'POST' || (req.path !== '/v1/images/generations' && !isEdit)) return openAIError(res, 404, `Unknown route ${req.method} ${req.path}`);
    const fields = isEdit ? formFields(req) : (req.json ?? {});
    const prompt = String(fields.prompt ?? '');
    if (prompt.includes('slow')) await delay(1500);
    if (prompt.includes('ratelimit')) return openAIError(res, 429, 'Rate limit reached for images per minute.', null, 'rate_limit_exceeded', 'requests');
    if (prompt.includes('crash')) return flavor === 'sdcpp' ? sendJson(res, 500, { error: 'generate_image returned no results' }) : openAIError(res, 500, 'The server had an error.', null, null, 'server_error');
    return flavor === 'sdcpp' ? sdCpp(req, res, fields, isEdit) : openAI(req, res, fields, isEdit);
  });
}

function formFields(req: Recorded): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(req.form ?? {})) out[name] = values.length === 1 ? values[0] : values;
  return out;
}

async function openAI(req: Recorded, res: ServerResponse, fields: Record<string, any>, isEdit: boolean): Promise<void> {
  const model = String(fields.model ?? (isEdit ? 'gpt-image-1.5' : 'dall-e-2'));
  const rules = MODELS[model];
  if (!rules) return openAIError(res, 400, `Invalid value: '${model}'. Value must be one of ${Object.keys(MODELS).join(', ')}.`, 'model', 'invalid_value');
  if (String(fields.prompt ?? '').includes('forbidden')) {
    return openAIError(res, 400, 'Your request was rejected as a result of our safety system.', null, 'content_policy_violation');
  }
  if (rules.gpt && fields.response_format !== undefined) return openAIError(res, 400, "Unknown parameter: 'response_format'.", 'response_format', 'unknown_parameter');
  const n = Number(fields.n ?? 1);
  if (n > rules.maxN) {
    return openAIError(res, 400, model === 'dall-e-3' ? 'You must provide n=1 for this model.' : `Invalid 'n': expected a value <= ${rules.maxN}.`, 'n', model === 'dall-e-3' ? null : 'integer_above_max_value');
  }
  let [width, height] = [1024, 1024];
  if (fields.size !== undefined && fields.size !== 'auto') {
    [width, height] = String(fields.size).split('x').map(Number) as [number, number];
    if (!rules.sizes(width, height)) return openAIError(res, 400, 'The size is not supported by this model.', null, 'invalid_size');
  }
  if (isEdit) {
    const image = req.form?.image?.[0] ?? req.form?.['image[]']?.[0];
    if (!image || typeof image === 'string') return openAIError(res, 400, "Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
    if (!['image/png', 'image/jpeg', 'image/webp'].includes(image.type)) {
      return openAIError(res, 400, `Invalid file 'image': unsupported mimetype ('${image.type}'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.`, 'image', 'unsupported_file_mimetype');
    }
    const meta = await sharp(image.bytes).metadata();
    if (model === 'dall-e-2' && (meta.width !== meta.height || image.bytes.length >= 4 * 1024 * 1024 || meta.format !== 'png')) {
      return openAIError(res, 400, 'Uploaded image must be a PNG and less than 4 MB, and square.', 'image', 'invalid_image');
    }
    // dall-e-2 reads the image's own transparency as a mask, so it refuses one with no alpha at all.
    if (model === 'dall-e-2' && !meta.hasAlpha && meta.channels !== 1) {
      return openAIError(res, 400, "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.", 'image', 'invalid_image_format');
    }
    const mask = req.form?.mask?.[0] as FilePart | undefined;
    if (mask) {
      const maskMeta = await sharp(mask.bytes).metadata();
      if (!maskMeta.hasAlpha) return openAIError(res, 400, "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.", 'mask', 'invalid_image_format');
      if (maskMeta.width !== meta.width || maskMeta.height !== meta.height) return openAIError(res, 400, 'Invalid mask: mask and image must have the same dimensions.', 'mask', 'invalid_image');
    }
    if (fields.size === undefined) [width, height] = [meta.width!, meta.height!];
  }
  const data = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const png = await paintPng(width, height, `${fields.prompt}|${i}`);
      if (!rules.gpt && fields.response_format !== 'b64_json') return { url: `https://oaidalleapiprodscus.blob.core.windows.net/private/img-${i}.png` };
      return { b64_json: png.toString('base64'), ...(model === 'dall-e-3' && { revised_prompt: `${fields.prompt}, detailed` }) };
    }),
  );
  sendJson(res, 200, {
    created: Math.floor(Date.now() / 1000),
    data,
    ...(rules.gpt && { usage: { input_tokens: 50, output_tokens: 100 * n, total_tokens: 50 + 100 * n, input_tokens_details: { text_tokens: 50, image_tokens: 0 } } }),
  });
}

const EXTRA_ARGS = /<sd_cpp_extra_args>(.*?)<\/sd_cpp_extra_args>/s;

async function sdCpp(req: Recorded, res: ServerResponse, fields: Record<string, any>, isEdit: boolean): Promise<void> {
  let prompt = String(fields.prompt ?? '');
  if (!prompt) return sendJson(res, 400, { error: 'prompt required' });
  let seed = 42; // the CLI default: the top-level seed field is ignored
  const block = EXTRA_ARGS.exec(prompt);
  if (block) {
    try {
      const args = JSON.parse(block[1]!);
      if (Number.isInteger(args.seed)) seed = args.seed;
    } catch {
      return sendJson(res, 400, { error: 'invalid sd_cpp_extra_args' });
    }
    prompt = prompt.replace(EXTRA_ARGS, '').trim();
  }
  const n = Math.min(8, Math.max(1, Number(fields.n ?? 1)));
  let [width, height] = fields.size ? String(fields.size).split('x').map(Number) as [number, number] : [512, 512];
  if (isEdit) {
    const image = (req.form?.['image[]']?.[0] ?? req.form?.image?.[0]) as FilePart | undefined;
    if (!image) return sendJson(res, 400, { error: 'image required' });
    const meta = await sharp(image.bytes).metadata();
    if (!fields.size) [width, height] = [meta.width!, meta.height!];
  }
  const data = await Promise.all(Array.from({ length: n }, async (_, i) => ({ b64_json: (await paintPng(width, height, `${prompt}|${seed + i}`)).toString('base64') })));
  sendJson(res, 200, { created: Math.floor(Date.now() / 1000), output_format: 'png', data });
}
