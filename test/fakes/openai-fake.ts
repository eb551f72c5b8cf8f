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
 *   a prompt containing "forbidden" is a content_policy_violation;
 * - `stream: true` (GPT image models only) answers `text/event-stream`: `partial_images` (0-3)
 *   `image_generation.partial_image` / `image_edit.partial_image` events with `b64_json` and
 *   `partial_image_index`, then one `*.completed` with `usage` (openai-node src/resources/images.ts,
 *   ImageGenStreamEvent, ImageEditStreamEvent). What the API says to `stream` on dall-e or with
 *   n > 1 is not documented (no event names its image); the fake refuses both with a 400 so a
 *   client that sends them is caught.
 * With `flavor: 'sdcpp'` it is stable-diffusion.cpp's /v1 route instead (backends.md 3.2, 3.3): the
 * model, seed and response_format are ignored, `<sd_cpp_extra_args>` is parsed out of the prompt,
 * the mask is read as grey, errors are `{"error": "<string>"}`.
 * Prompts that steer the fake: "slow" (answers after 1.5 s), "ratelimit" (429), "crash" (500);
 * streamed: "stepwise" (events 300 ms apart), "streamfail" (a flat `event: error` after the first
 * partial), "streamblocked" (a nested moderation_blocked error event), "streamdrop" (the connection
 * is cut after the first partial). Each stream is recorded in `streams`.
 */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { delay, paintPng, sendJson, startFakeServer, type FakeServer, type FilePart, type Recorded } from './hosted-fake-http.ts';

export interface OpenAIFakeOptions {
  apiKey?: string;
  flavor?: 'openai' | 'sdcpp';
}

/** One streamed answer: the event types sent, and whether the client left before the end. */
export interface StreamRecord {
  prompt: string;
  sent: string[];
  closedEarly: boolean;
}

export interface OpenAIFake extends FakeServer {
  streams: StreamRecord[];
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

export async function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<OpenAIFake> {
  const flavor = options.flavor ?? 'openai';
  const streams: StreamRecord[] = [];
  const server = await startFakeServer(async (req, res) => {
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
    return flavor === 'sdcpp' ? sdCpp(req, res, fields, isEdit) : openAI(req, res, fields, isEdit, streams);
  });
  return { ...server, streams };
}

function formFields(req: Recorded): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(req.form ?? {})) out[name] = values.length === 1 ? values[0] : values;
  return out;
}

async function openAI(req: Recorded, res: ServerResponse, fields: Record<string, any>, isEdit: boolean, streams: StreamRecord[]): Promise<void> {
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
  // A form sends every field as text.
  const stream = fields.stream === true || fields.stream === 'true';
  const partials = Number(fields.partial_images ?? 0);
  if (stream && !rules.gpt) return openAIError(res, 400, `Streaming is not supported for ${model}.`, 'stream', 'unsupported_parameter');
  if (stream && n > 1) return openAIError(res, 400, 'Streaming supports n=1 only.', 'n', 'unsupported_parameter');
  if (!Number.isInteger(partials) || partials < 0 || partials > 3) {
    return openAIError(res, 400, `Invalid 'partial_images': expected a value between 0 and 3.`, 'partial_images', 'invalid_value');
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
  const usage = { input_tokens: 50, output_tokens: 100 * n, total_tokens: 50 + 100 * n, input_tokens_details: { text_tokens: 50, image_tokens: 0 } };
  if (stream) {
    const record: StreamRecord = { prompt: String(fields.prompt), sent: [], closedEarly: false };
    streams.push(record);
    return sendStream(res, record, { prefix: isEdit ? 'image_edit' : 'image_generation', width, height, partials, final: (data[0] as { b64_json: string }).b64_json, usage });
  }
  sendJson(res, 200, { created: Math.floor(Date.now() / 1000), data, ...(rules.gpt && { usage }) });
}

interface StreamPlan {
  prefix: 'image_generation' | 'image_edit';
  width: number;
  height: number;
  partials: number;
  final: string;
  usage: unknown;
}

/** SSE as the API frames it: `event:` and `data:` lines, a blank line after each event. */
async function sendStream(res: ServerResponse, record: StreamRecord, plan: StreamPlan): Promise<void> {
  const { prompt } = record;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': `req_${Date.now()}` });
  let over = false;
  const finish = (how: 'end' | 'destroy') => {
    over = true;
    if (how === 'end') res.end();
    else res.destroy();
  };
  res.on('close', () => {
    if (!over) record.closedEarly = true;
  });
  const common = { background: 'opaque', created_at: Math.floor(Date.now() / 1000), output_format: 'png', quality: 'medium', size: `${plan.width}x${plan.height}` };
  const send = async (event: string, data: unknown) => {
    if (prompt.includes('stepwise') && record.sent.length > 0) await delay(300);
    if (res.destroyed) return false;
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    record.sent.push(event);
    return true;
  };
  res.write(': keepalive\n\n');
  for (let index = 0; index < plan.partials; index++) {
    // Each partial is a different colour from the final image, so a test can tell them apart.
    const b64_json = (await paintPng(plan.width, plan.height, `${prompt}|partial ${index}`)).toString('base64');
    if (!(await send(`${plan.prefix}.partial_image`, { type: `${plan.prefix}.partial_image`, b64_json, partial_image_index: index, ...common }))) return;
    if (prompt.includes('streamdrop')) return finish('destroy');
    if (prompt.includes('streamfail')) {
      await send('error', { type: 'error', code: 'server_error', message: 'The image generation failed.', param: null });
      return finish('end');
    }
    if (prompt.includes('streamblocked')) {
      await send('error', { error: { type: 'image_generation_user_error', code: 'moderation_blocked', message: 'Your request was rejected by the safety system.', param: null } });
      return finish('end');
    }
  }
  if (await send(`${plan.prefix}.completed`, { type: `${plan.prefix}.completed`, b64_json: plan.final, ...common, usage: plan.usage })) finish('end');
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
