/**
 * OpenAI's Images API shapes (openai-node 6.x, src/resources/images.ts: ImageGenerateParams,
 * ImageEditParams, ImagesResponse), with our own knobs (seed, steps, cfg_scale, sampler,
 * scheduler, negative_prompt, ...) accepted as extra body fields. Every OpenAI field is known
 * by name, so a typo is still a 400 naming it rather than silently ignored.
 */
import { z } from '@hono/zod-openapi';
import { bounded, formBoolean, formNumber, knobs } from '../schemas.ts';

const ourKnobs = {
  seed: knobs.seed,
  steps: knobs.steps,
  cfg_scale: knobs.cfg_scale,
  sampler: knobs.sampler,
  scheduler: knobs.scheduler,
  negative_prompt: knobs.negative_prompt,
  strict_knobs: knobs.strict_knobs,
  safety: knobs.safety,
  cache: knobs.cache,
};

const openAIFields = {
  model: knobs.model,
  prompt: knobs.prompt,
  n: knobs.n,
  size: z
    .string({ error: 'size must be "auto" or like 1024x1024' })
    .regex(/^(auto|\d{1,5}x\d{1,5})$/, 'size must be "auto" or look like WIDTHxHEIGHT, e.g. 1024x1024')
    .optional(),
  response_format: z.enum(['b64_json', 'url'], { error: 'response_format must be b64_json or url' }).optional(),
  output_format: z.enum(['png', 'jpeg', 'webp'], { error: 'output_format must be png, jpeg or webp' }).optional(),
  output_compression: bounded('output_compression', 0, 100, true).optional(),
  quality: z.string().min(1).optional().openapi({ description: 'Passed to an OpenAI backend as its quality (low, medium, high, hd, ...)' }),
  background: z.enum(['transparent', 'opaque', 'auto'], { error: 'background must be transparent, opaque or auto' }).optional(),
  moderation: z.enum(['low', 'auto'], { error: 'moderation must be low or auto' }).optional(),
  style: z.string().min(1).optional(),
  user: z.string().max(256).optional(),
  stream: z.boolean({ error: 'stream must be true or false' }).optional(),
  partial_images: bounded('partial_images', 0, 3, true).optional(),
};

export const OpenAIGenerateBody = z.object({ ...openAIFields, ...ourKnobs }).strict().openapi('OpenAIImageGenerateRequest');
export type OpenAIGenerateBody = z.infer<typeof OpenAIGenerateBody>;

const binary = { type: 'string' as const, format: 'binary' };
const filePart = () => z.union([z.instanceof(File), z.string()]).openapi(binary);
/** One file part, or several under the same name (the SDK sends an array as repeated parts). */
const fileParts = () => z.union([filePart(), z.array(filePart())]).optional().openapi({ type: 'array', items: binary });

/**
 * Multipart, as the SDK sends it: `image` (or `image[]`, repeated) and an optional `mask`, whose
 * fully transparent pixels (alpha 0) are the ones to edit. Numbers and booleans arrive as text.
 */
export const OpenAIEditForm = z
  .object({
    ...openAIFields,
    ...ourKnobs,
    n: formNumber(knobs.n.unwrap()).optional(),
    seed: formNumber(knobs.seed.unwrap()).optional(),
    steps: formNumber(knobs.steps.unwrap()).optional(),
    cfg_scale: formNumber(knobs.cfg_scale.unwrap()).optional(),
    output_compression: formNumber(bounded('output_compression', 0, 100, true)).optional(),
    partial_images: formNumber(bounded('partial_images', 0, 3, true)).optional(),
    strength: formNumber(bounded('strength', 0, 1, false)).optional(),
    strict_knobs: formBoolean('strict_knobs').optional(),
    stream: formBoolean('stream').optional(),
    input_fidelity: z.enum(['high', 'low'], { error: 'input_fidelity must be high or low' }).optional(),
    image: fileParts(),
    'image[]': fileParts(),
    mask: filePart().optional().openapi({ description: 'PNG with alpha: transparent (alpha 0) = edit, as OpenAI takes it' }),
  })
  .strict()
  .openapi('OpenAIImageEditForm');
export type OpenAIEditForm = z.infer<typeof OpenAIEditForm>;

export const OpenAIImagesResponse = z
  .object({
    created: z.number().int(),
    data: z.array(z.object({ b64_json: z.string().optional(), url: z.string().optional(), revised_prompt: z.string().optional() })),
    output_format: z.enum(['png', 'jpeg', 'webp']).optional(),
    size: z.string().optional(),
    quality: z.string().optional(),
    background: z.string().optional(),
    usage: z
      .object({ input_tokens: z.number().int(), output_tokens: z.number().int(), total_tokens: z.number().int() })
      .optional(),
  })
  .openapi('OpenAIImagesResponse');
export type OpenAIImagesResponse = z.infer<typeof OpenAIImagesResponse>;
