/**
 * One schema per wire shape. They validate requests at the route edge and generate /openapi.json,
 * so the document cannot drift from what is enforced. JSON on the wire is snake_case.
 */
import { z } from '@hono/zod-openapi';
import { MAX_SEED } from '../imagegen/index.ts';
import { OUTPUT_FORMATS } from '../images/index.ts';
import { SAFETY_LEVELS } from '../config/index.ts';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      type: z.string().openapi({ description: "OpenAI's error type for the code, so OpenAI clients read it as theirs", example: 'invalid_request_error' }),
      message: z.string(),
      param: z.string().optional().openapi({ example: 'size' }),
    }),
  })
  .openapi('Error');

/** A number with both bounds, every failure (wrong type, not whole, out of range) saying the whole rule. */
export function bounded(name: string, min: number, max: number, integer: boolean) {
  const rule = `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  const number = z.number({ error: rule });
  return (integer ? number.int(rule) : number).min(min, rule).max(max, rule);
}

export const knobs = {
  model: z.string().min(1).optional().openapi({ description: 'A model id or alias from GET /v1/models; the default model if absent', example: 'stub' }),
  prompt: z
    .string({ error: 'prompt is required and must be a string' })
    .min(1, 'prompt must not be empty')
    .openapi({ example: 'a red fox in the snow' }),
  n: z.number({ error: 'n must be an integer of at least 1' }).int('n must be an integer of at least 1').min(1, 'n must be an integer of at least 1').optional().openapi({ example: 1 }),
  size: z
    .string({ error: 'size must be a string like 512x512' })
    .regex(/^\d{1,5}x\d{1,5}$/, 'size must look like WIDTHxHEIGHT, e.g. 512x512')
    .optional()
    .openapi({ example: '512x512' }),
  seed: bounded('seed', 0, MAX_SEED, true)
    .optional()
    .openapi({ description: 'Image i of n uses seed + i. Absent: a random seed, reported per image.' }),
  steps: bounded('steps', 1, 1000, true).optional(),
  cfg_scale: bounded('cfg_scale', 0, 100, false).optional(),
  sampler: z.string().min(1).optional().openapi({ example: 'dpmpp_2m' }),
  scheduler: z.string().min(1).optional().openapi({ example: 'karras' }),
  negative_prompt: z.string().optional(),
  output_format: z.enum(OUTPUT_FORMATS as [string, ...string[]], { error: 'output_format must be png, webp or jpeg' }).optional(),
  strict_knobs: z.boolean().optional().openapi({ description: 'Refuse (422) instead of dropping a knob the backend cannot honour' }),
  safety: z
    .enum(SAFETY_LEVELS, { error: 'safety must be off, moderate or strict' })
    .optional()
    .openapi({ description: "A safety level for this request; only one stricter than the tenant's applies" }),
  cache: z
    .enum(['no-store', 'no-cache'], { error: 'cache must be "no-store" or "no-cache"' })
    .optional()
    .openapi({ description: 'no-cache: do not answer from the cache (the fresh answer is stored); no-store: neither read nor write it' }),
  async: z.boolean({ error: 'async must be true or false' }).optional().openapi({ description: 'Answer 202 {id, status} at once; follow GET /v1/jobs/{id} and its /events' }),
};

export const GenerateBody = z.object(knobs).strict().openapi('GenerateRequest');
export type GenerateBody = z.infer<typeof GenerateBody>;

const imageField = z
  .string({ error: 'image is required: base64 or a data URL' })
  .min(1, 'image must not be empty')
  .openapi({ description: 'Base64 or a data URL (never a URL to fetch)' });

export const EditBody = z
  .object({
    ...knobs,
    image: imageField,
    mask: z.string().min(1).optional().openapi({ description: 'White = repaint, black = keep; base64 or a data URL' }),
    strength: bounded('strength', 0, 1, false).optional(),
  })
  .strict()
  .openapi('EditRequest');
export type EditBody = z.infer<typeof EditBody>;

/** Multipart edits: the same fields as text parts, `image` and `mask` as files (or base64 text). */
const file = (name: string) => z
  .union([z.instanceof(File), z.string()], { error: `${name} is required: a file part named ${name} (or base64 text)` })
  .openapi({ type: 'string', format: 'binary' });

// A text part read as a number; text that is no number reaches the schema as NaN and gets its rule.
export const formNumber = (schema: z.ZodNumber) => z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), schema);
export const formBoolean = (name: string) =>
  z.enum(['true', 'false', '1', '0'], { error: `${name} must be true or false (or 1 or 0)` }).transform((v) => v === 'true' || v === '1');

export const EditForm = z
  .object({
    ...knobs,
    n: formNumber(knobs.n.unwrap()).optional(),
    seed: formNumber(knobs.seed.unwrap()).optional(),
    steps: formNumber(knobs.steps.unwrap()).optional(),
    cfg_scale: formNumber(knobs.cfg_scale.unwrap()).optional(),
    strength: formNumber(bounded('strength', 0, 1, false)).optional(),
    strict_knobs: formBoolean('strict_knobs').optional(),
    async: formBoolean('async').optional(),
    image: file('image').openapi({ description: 'The init image' }),
    mask: file('mask').optional().openapi({ description: 'White = repaint, black = keep' }),
  })
  .strict()
  .openapi('EditForm');
export type EditForm = z.infer<typeof EditForm>;

export const ImageOut = z
  .object({
    b64_json: z.string(),
    mime_type: z.string().openapi({ example: 'image/png' }),
    width: z.number().int().optional(),
    height: z.number().int().optional(),
    seed: z.number().int().optional(),
  })
  .openapi('Image');

export const WarningOut = z
  .object({
    type: z.string().openapi({ example: 'unsupported' }),
    setting: z.string().optional().openapi({ example: 'seed' }),
    message: z.string(),
  })
  .openapi('Warning');

export const ImagesResponse = z
  .object({
    model: z.string(),
    provider: z.string(),
    images: z.array(ImageOut),
    warnings: z.array(WarningOut),
    usage: z.object({
      images: z.number().int(),
      megapixels: z.number(),
      input_tokens: z.number().int().optional(),
      output_tokens: z.number().int().optional(),
      total_tokens: z.number().int().optional(),
    }),
    cached: z.boolean(),
  })
  .openapi('ImagesResponse');

export const ModelsResponse = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal('model'),
        created: z.number().int().openapi({ description: 'Unix seconds (when the daemon loaded its config), as OpenAI clients expect' }),
        owned_by: z.string().openapi({ description: 'The provider that serves it' }),
        capabilities: z.array(z.enum(['txt2img', 'img2img', 'inpaint'])),
        knobs: z.array(z.string()),
        max_images_per_call: z.number().int().optional(),
      }),
    ),
    default_model: z.string(),
    max_n: z.number().int().openapi({ description: 'The most images one request may ask for; the daemon splits it into backend calls itself' }),
    backend_models: z
      .array(z.object({ id: z.string(), owned_by: z.string(), capabilities: z.array(z.enum(['txt2img', 'img2img', 'inpaint'])), knobs: z.array(z.string()) }))
      .optional()
      .openapi({ description: "Models the backends report themselves (ComfyUI's checkpoints, ...); name one in the config's models to serve it" }),
    aliases: z.record(z.string(), z.array(z.string())).openapi({ description: 'Alias -> the chain of model ids it tries in order' }),
  })
  .openapi('ModelList');

export const BackendHealth = z
  .object({
    name: z.string(),
    state: z.enum(['closed', 'open', 'half_open']).openapi({ description: 'Circuit breaker: open refuses calls until a half-open probe succeeds' }),
    consecutive_failures: z.number().int(),
    running: z.number().int(),
    queued: z.number().int(),
    concurrency: z.number().int(),
    queue_limit: z.number().int(),
    check: z
      .object({ ok: z.boolean(), at: z.string(), latency_ms: z.number(), error: z.string().optional() })
      .optional()
      .openapi({ description: 'The last health check (every router.health_check_s), where the backend can be checked' }),
  })
  .openapi('BackendHealth');

/** A shared dependency's reachability (the store; Redis beside it when configured). */
export const DependencyHealth = z
  .object({ type: z.string(), ok: z.boolean(), error: z.string().optional() })
  .openapi('DependencyHealth');

export const HealthResponse = z
  .object({
    status: z.literal('ok'),
    version: z.string(),
    models: z.number().int(),
    image_filter: z
      .enum(['off', 'loading', 'ready', 'failed'])
      .openapi({ description: 'The nsfwjs output filter: loading for some seconds after start (requests that need it wait up to load_wait_ms), failed if it could not load' }),
    backends: z.array(BackendHealth),
    store: DependencyHealth.openapi({ description: 'Whether the store answers; with PostgreSQL down, image requests get 503 store_unavailable' }),
    redis: DependencyHealth.optional().openapi({ description: 'Whether Redis answers; present only when `redis:` is configured' }),
  })
  .openapi('Health');

export const JobAccepted = z
  .object({ id: z.string().openapi({ example: 'job_5f0c...' }), object: z.literal('job'), status: z.literal('queued') })
  .openapi('JobAccepted');

export const JobResponse = z
  .object({
    id: z.string(),
    object: z.literal('job'),
    kind: z.string().openapi({ example: 'generate' }),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    created_at: z.string(),
    started_at: z.string().optional(),
    finished_at: z.string().optional(),
    queue_position: z.number().int().optional().openapi({ description: '1-based place in the backend line while queued' }),
    progress: z
      .object({
        fraction: z.number().optional(),
        step: z.number().int().optional(),
        total_steps: z.number().int().optional(),
        message: z.string().optional(),
        preview: z
          .object({ b64_json: z.string(), mime_type: z.string(), width: z.number().int(), height: z.number().int() })
          .optional()
          .openapi({ description: 'The latest partial image, where the backend sends them (OpenAI gpt-image streaming)' }),
      })
      .optional(),
    result: ImagesResponse.optional().openapi({ description: 'Once succeeded: the answer the synchronous call would have given' }),
    error: ErrorBody.shape.error.optional(),
  })
  .openapi('Job');
