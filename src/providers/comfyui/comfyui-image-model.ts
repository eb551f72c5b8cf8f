/**
 * One ComfyUI model: a workflow per mode, filled from the canonical request and run to the end.
 *
 * Seeds: KSampler draws the noise of a whole batch from one generator seeded with `seed`
 * (comfy/sample.py prepare_noise: one torch.randn over the batch shape), so image i of a
 * batch_size > 1 latent is not the image seed + i makes alone. To keep "image i has seed s + i"
 * true and reproducible one image at a time, every image is its own prompt (batch_size 1) with
 * its own seed; all n are queued at once, so the GPU does not wait on us between them.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ImagegenError,
  abortError,
  defineImageModel,
  seedAt,
  untilAborted,
  type CallOptions,
  type CallResult,
  type Capability,
  type Image,
  type ImageModel,
  type Knob,
  type Request,
  type SeededRequest,
  type Warning,
} from '../../imagegen/index.ts';
import { decodeRaw, encodeRaw, inspectImage, maskToPng, toCanonicalMask, type DecodeLimits } from '../../images/index.ts';
import { COMFYUI_DIALECT } from '../../knobs/dialects/comfyui.ts';
import { dropKnob, fitSize, normalizeKnobs, type NativeKnobs } from '../../knobs/index.ts';
import { asAsked } from '../provider-utils.ts';
import { sleepUntil, type ComfyUIClient, type HistoryEntry, type PromptEvents } from './comfyui-client.ts';
import { executionFailed, promptRejected, type ExecutionErrorData } from './comfyui-error.ts';
import type { ComfyUIDefaults } from './comfyui-settings.ts';
import { fillWorkflow, type Graph, type PlaceholderValues, type Workflow } from './comfyui-workflow.ts';

export interface ComfyUIModelConfig {
  id: string;
  provider: string;
  client: ComfyUIClient;
  workflows: Partial<Record<Capability, Workflow>>;
  /** Fills {{checkpoint}}. */
  checkpoint: string;
  defaults: ComfyUIDefaults;
  timeoutMs: number;
  pollIntervalMs: number;
  requestTimeoutMs: number;
  decodeLimits?: DecodeLimits;
}

/** With the websocket up, history is still read now and then in case an event was lost. */
const SAFETY_POLL_MS = 5000;

export function comfyuiImageModel(config: ComfyUIModelConfig): ImageModel {
  const capabilities = (['txt2img', 'img2img', 'inpaint'] as const).filter((mode) => config.workflows[mode]);
  const knobs = COMFYUI_DIALECT.knobs.filter((knob) => capabilities.some((mode) => config.workflows[mode]!.knobs.includes(knob)));
  return defineImageModel({
    id: config.id,
    provider: config.provider,
    capabilities,
    knobs,
    doGenerate: (request, call) => generate(config, request, call),
  });
}

async function generate(config: ComfyUIModelConfig, request: SeededRequest, call: CallOptions): Promise<CallResult> {
  const mode: Capability = request.mask ? 'inpaint' : request.image ? 'img2img' : 'txt2img';
  const workflow = config.workflows[mode]!;
  // As asked: a workflow without {{seed}} warns only when the caller named a seed, not for a drawn one.
  const { knobs, warnings } = normalizeKnobs(asAsked(request), { ...COMFYUI_DIALECT, knobs: workflow.knobs });
  const deadline = AbortSignal.timeout(config.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
  const submitted: string[] = [];
  const ended = new Set<string>();
  let events: PromptEvents | undefined;
  try {
    const values = await placeholderValues(config, workflow, request, knobs, warnings, signal);
    // One client id per call: ComfyUI sends a prompt's events only to the client that queued it.
    const clientId = `koder-imaging-${randomUUID()}`;
    const opening = config.client.openEvents(clientId, config.requestTimeoutMs);
    // A socket that opens after the caller left is closed, not leaked.
    events = await untilAborted(opening, signal).catch((error: unknown) => {
      void opening.then((late) => late?.close(), () => undefined);
      throw error;
    });
    if (events) reportProgress(events, submitted, request.n, call);
    for (let i = 0; i < request.n; i++) {
      const graph = fillWorkflow(workflow, { ...values, seed: seedAt(request.seed, i) });
      // Our own prompt id (server.py takes one) is known before the answer, so an abort while
      // POST /prompt is in flight can still cancel it. An older server picks its own; we follow.
      submitted.push(randomUUID());
      submitted[i] = await submit(config, workflow, graph, submitted[i]!, clientId, warnings, signal);
    }
    const settled = await Promise.allSettled(
      submitted.map(async (id) => {
        try {
          return await finished(config, id, events, signal);
        } finally {
          // A prompt whose wait was aborted has not ended: it is still the server's to cancel.
          if (!signal.aborted) ended.add(id);
        }
      }),
    );
    if (signal.aborted) throw signal.reason;
    const images: Image[] = [];
    const failures: unknown[] = [];
    let extra = 0;
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'rejected') {
        failures.push(outcome.reason);
        continue;
      }
      const { image, more } = await fetchImage(config, outcome.value, signal);
      extra += more;
      images.push({ ...image, ...(workflow.slots.has('seed') && { seed: seedAt(request.seed, i) }) });
    }
    if (images.length === 0) throw failures[0];
    if (failures.length > 0) {
      warnings.push({
        type: 'partial',
        setting: 'n',
        message: `${failures.length} of ${request.n} prompts failed (${(failures[0] as Error).message}); returning ${images.length} images`,
      });
    }
    if (extra > 0) warnings.push({ type: 'other', message: `the workflow saved ${extra} more images than one per prompt; only the first of each is returned` });
    return { images, warnings, raw: { prompt_ids: submitted } };
  } catch (error) {
    // Whatever went wrong, prompts still queued or running would only burn GPU time for nobody.
    // Not waited for: the caller's answer does not hang on a server that stopped answering.
    void config.client.cancel(submitted.filter((id) => !ended.has(id))).catch(() => undefined);
    if (!signal.aborted) throw error;
    if (call.signal?.aborted) throw abortError(call.signal);
    throw new ImagegenError('provider_timeout', `${config.provider} did not finish within ${config.timeoutMs} ms`, { provider: config.provider, cause: error });
  } finally {
    events?.close();
  }
}

/** The values of every placeholder the workflow has; names checked against the server's lists. */
async function placeholderValues(
  config: ComfyUIModelConfig,
  workflow: Workflow,
  request: Request,
  knobs: NativeKnobs,
  warnings: Warning[],
  signal: AbortSignal,
): Promise<PlaceholderValues> {
  const { client, defaults } = config;
  const has = (name: Parameters<typeof workflow.slots.has>[0]) => workflow.slots.has(name);
  const [sampler, scheduler] = await Promise.all([
    has('sampler') ? available('sampler', knobs.sampler, defaults.sampler, client.choices('KSampler', 'sampler_name', signal)) : undefined,
    has('scheduler') ? available('scheduler', knobs.scheduler, defaults.scheduler, client.choices('KSampler', 'scheduler', signal)) : undefined,
    has('checkpoint') ? checkCheckpoint(config, signal) : undefined,
  ]);
  const values: PlaceholderValues = {
    prompt: request.prompt,
    negative_prompt: knobs.negativePrompt ?? '',
    steps: knobs.steps ?? defaults.steps,
    cfg: knobs.cfgScale ?? defaults.cfgScale,
    sampler,
    scheduler,
    checkpoint: config.checkpoint,
    denoise: knobs.strength ?? (workflow.mode === 'inpaint' ? defaults.inpaintStrength : defaults.img2imgStrength),
  };
  let size = knobs.size ?? defaults.size;
  if (request.image) {
    const uploaded = await uploadInputs(config, request, knobs, warnings, signal);
    Object.assign(values, { image: uploaded.image, mask: uploaded.mask });
    size = uploaded.size;
  }
  return { ...values, width: size.width, height: size.height };

  /** A name this server lacks is dropped like any unhonoured knob (422 with strict_knobs). */
  async function available(setting: Knob, asked: string | undefined, fallback: string, list: Promise<string[]>): Promise<string> {
    const names = await list;
    if (asked === undefined || names.includes(asked)) return asked ?? (names.includes(fallback) ? fallback : names[0]!);
    const message = `this ComfyUI server has no ${setting} "${asked}" (it has ${names.join(', ')})`;
    const used = names.includes(fallback) ? fallback : names[0]!;
    dropKnob(request, warnings, setting, message, `; using ${used}`);
    return used;
  }
}

async function checkCheckpoint(config: ComfyUIModelConfig, signal: AbortSignal): Promise<void> {
  const checkpoints = await config.client.choices('CheckpointLoaderSimple', 'ckpt_name', signal);
  if (checkpoints.includes(config.checkpoint)) return;
  throw new ImagegenError(
    'provider_error',
    `${config.provider} has no checkpoint "${config.checkpoint}"; it has ${checkpoints.join(', ') || 'none'}`,
    { provider: config.provider, retryable: true, param: 'model' },
  );
}

/**
 * Init image and mask go up as PNGs at the size to make (the output is the init image's size in
 * ComfyUI). The mask is the canonical one drawn black and white, read by LoadImageMask's red
 * channel: white = repaint. Names carry a content hash, so the server keeps one copy of repeats.
 */
async function uploadInputs(config: ComfyUIModelConfig, request: Request, knobs: NativeKnobs, warnings: Warning[], signal: AbortSignal) {
  const limits = config.decodeLimits;
  const info = await inspectImage(request.image!.bytes, 'image', limits);
  const size = knobs.size ?? fitSize({ width: info.width, height: info.height }, COMFYUI_DIALECT.size!, (message) =>
    warnings.push({ type: 'changed', setting: 'size', message }),
  ).size!;
  const png = await encodeRaw(await decodeRaw(request.image!.bytes, 'image', { limits, channels: 3, size }));
  const image = await config.client.upload(png, `koder-${digest(png)}.png`, signal);
  let mask: string | undefined;
  if (request.mask) {
    const canonical = await toCanonicalMask(request.mask.bytes, size, limits);
    warnings.push(...canonical.warnings);
    const maskPng = await maskToPng(canonical);
    mask = await config.client.upload(maskPng, `koder-mask-${digest(maskPng)}.png`, signal);
  }
  return { image, mask, size };
}

async function submit(
  config: ComfyUIModelConfig,
  workflow: Workflow,
  graph: Graph,
  promptId: string,
  clientId: string,
  warnings: Warning[],
  signal: AbortSignal,
): Promise<string> {
  const answer = await config.client.submit(graph, promptId, clientId, signal);
  if (!answer.ok) {
    // The server refused a name it may have listed a moment ago: read the lists afresh next time.
    config.client.forgetDiscovery();
    throw promptRejected(answer.body, answer.status, workflow, config.provider);
  }
  // Outputs that failed validation are dropped while the valid ones run; say so once.
  const dropped = Object.keys(answer.nodeErrors);
  if (dropped.length > 0 && !warnings.some((w) => w.message.startsWith('ComfyUI skipped'))) {
    warnings.push({ type: 'other', message: `ComfyUI skipped nodes that failed validation: ${dropped.join(', ')}` });
  }
  return answer.promptId;
}

/** Wait for the prompt's history: woken by the websocket, or polling when it is not there. */
async function finished(config: ComfyUIModelConfig, promptId: string, events: PromptEvents | undefined, signal: AbortSignal): Promise<HistoryEntry> {
  for (;;) {
    const entry = await config.client.history(promptId, signal);
    if (entry) return failedRun(entry, config.provider) ?? entry;
    const reported = events?.errorOf(promptId);
    if (reported) throw executionFailed(reported, config.provider);
    if (events?.connected) await events.wait(promptId, SAFETY_POLL_MS, signal);
    else await sleepUntil(config.pollIntervalMs, signal);
  }
}

/** A finished run that failed throws; the history's status messages hold the event. */
function failedRun(entry: HistoryEntry, provider: string): undefined {
  if (entry.status?.status_str !== 'error') return undefined;
  const messages = entry.status.messages ?? [];
  const error = messages.find(([event]) => event === 'execution_error')?.[1];
  if (error) throw executionFailed(error as ExecutionErrorData, provider);
  if (messages.some(([event]) => event === 'execution_interrupted')) {
    throw new ImagegenError('provider_error', `${provider} interrupted the prompt (another client or an operator stopped it)`, { provider, retryable: true });
  }
  throw new ImagegenError('provider_error', `${provider} reports the prompt failed`, { provider, retryable: true });
}

/** The prompt's first saved image (type "output"; a preview only when nothing was saved). */
async function fetchImage(config: ComfyUIModelConfig, entry: HistoryEntry, signal: AbortSignal): Promise<{ image: Image; more: number }> {
  const refs = Object.values(entry.outputs ?? {}).flatMap((output) => output.images ?? []);
  const saved = refs.filter((ref) => (ref.type ?? 'output') === 'output');
  const chosen = saved.length > 0 ? saved : refs;
  if (chosen.length === 0) {
    throw new ImagegenError('provider_error', `${config.provider}: the workflow finished without saving an image`, { provider: config.provider, retryable: false });
  }
  const bytes = await config.client.view(chosen[0]!, signal);
  const info = await inspectImage(bytes, 'output', config.decodeLimits).catch((error: unknown) => {
    throw new ImagegenError('provider_error', `${config.provider} returned an unreadable image: ${(error as Error).message}`, { provider: config.provider });
  });
  return { image: { bytes, mimeType: info.mimeType, width: info.width, height: info.height }, more: chosen.length - 1 };
}

/** `ids` fills as prompts are queued; they run in that order, so index i running means i done. */
function reportProgress(events: PromptEvents, ids: string[], total: number, call: CallOptions): void {
  if (!call.onProgress) return;
  const onProgress = call.onProgress;
  events.onProgress = (id, { value, max, node }) => {
    const index = ids.indexOf(id);
    if (index < 0 || !(max > 0)) return;
    onProgress({
      fraction: (index + value / max) / total,
      step: value,
      totalSteps: max,
      message: `image ${index + 1} of ${total}${node ? `, node ${node}` : ''}`,
    });
  };
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}
