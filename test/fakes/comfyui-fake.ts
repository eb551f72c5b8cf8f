/**
 * A fake ComfyUI server (node:http + ws on 127.0.0.1), faithful to the protocol facts in
 * backends.md section 4 and to server.py / execution.py / main.py as read:
 * - POST /prompt validates the graph (unknown class -> invalid_prompt, no output node ->
 *   prompt_no_outputs, combos -> value_not_in_list, ranges -> value_bigger_than_max /
 *   value_smaller_than_min, missing inputs, bad links) and answers 400 with node_errors;
 * - one queue, one prompt executing at a time, in submission order;
 * - GET /history/{id} is `{}` until the prompt is done;
 * - /ws?clientId= gets `status` on connect; a prompt's events (execution_start, execution_cached,
 *   executing, progress, executed, execution_success | execution_error | execution_interrupted,
 *   executing with node null) go only to the client_id that queued it; execution_success is
 *   sent before the history is written, `executing` node null after;
 * - an identical graph to the last one run is replayed from the cache: no progress events;
 * - /view serves outputs and inputs (400 for path tricks, 404 when missing); /upload/image
 *   renames different bytes under a taken name to "x (1).png" and keeps identical ones;
 * - /object_info[/{class}] with combo inputs as [[choices], {meta}]; POST /interrupt with an
 *   optional prompt_id; POST /queue {delete}; every route also under /api. With `jobsApi`, the
 *   newer `POST /api/jobs/{id}/cancel` (server.py cancel_job_by_id): dequeue if pending, interrupt
 *   if running (interrupt_if_running), answer `{cancelled}`; without it that route is a 404.
 * Output images are solid colours from the received graph's seed and positive prompt
 * (`fakeColour`), blended over the init image by denoise and the mask, so tests can check seeds,
 * mask polarity and strength.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ComfyUIFakeOptions {
  samplers?: string[];
  /** What /object_info lists, when it differs from what validation accepts (a node pack unloaded since). */
  advertisedSamplers?: string[];
  schedulers?: string[];
  checkpoints?: string[];
  /** Delay per sampler step, ms (default 2). */
  stepDelayMs?: number;
  /** false: /ws refuses the upgrade (a proxy without websockets), clients must poll. */
  websocket?: boolean;
  /** A node class that raises while executing, giving execution_error. */
  failClass?: string;
  /** KSampler raises for this seed (one bad image among several). */
  failSeed?: number;
  /** Queued prompts wait until release() is called (for aborts and timeouts). */
  hold?: boolean;
  /** The server has the jobs API's per-prompt cancel (a 2025-12 ComfyUI or later). */
  jobsApi?: boolean;
}

export interface ReceivedPrompt {
  body: { prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>; client_id?: string; [key: string]: unknown };
  status: number;
  promptId?: string;
}

export interface ComfyUIFake {
  url: string;
  prompts: ReceivedPrompt[];
  uploads: { filename: string; name: string; bytes: Buffer }[];
  inputs: Map<string, Buffer>;
  interrupts: unknown[];
  deletes: string[][];
  /** Ids sent to /api/jobs/{id}/cancel, with what it did. */
  jobCancels: { id: string; did: 'dequeued' | 'interrupted' | 'nothing' }[];
  /** Requests per route key ("GET /history", "GET /object_info/KSampler", ...). */
  hits: Map<string, number>;
  release(): void;
  close(): Promise<void>;
}

export const FAKE_SAMPLERS = ['euler', 'euler_ancestral', 'heun', 'dpm_2', 'dpmpp_2m', 'dpmpp_2m_sde', 'dpmpp_sde', 'ddim', 'uni_pc', 'lcm'];
export const FAKE_SCHEDULERS = ['simple', 'sgm_uniform', 'karras', 'exponential', 'ddim_uniform', 'beta', 'normal'];

/** The colour the fake paints for a seed and positive prompt. */
export function fakeColour(seed: number, prompt: string): [number, number, number] {
  const hash = createHash('sha256').update(`${seed}:${prompt}`).digest();
  return [hash[0]!, hash[1]!, hash[2]!];
}

type Spec =
  | { kind: 'link' }
  | { kind: 'int' | 'float'; min: number; max: number }
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'combo'; choices: () => string[] };

interface NodeDef {
  inputs: Record<string, Spec>;
  output?: boolean;
  returns: string[];
}

type Graph = ReceivedPrompt['body']['prompt'];
interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}
interface Latent {
  width: number;
  height: number;
  pixels?: Pixels;
  mask?: Buffer;
}

class Interrupted extends Error {}

export async function startComfyUIFake(options: ComfyUIFakeOptions = {}): Promise<ComfyUIFake> {
  const samplers = options.samplers ?? FAKE_SAMPLERS;
  const schedulers = options.schedulers ?? FAKE_SCHEDULERS;
  const checkpoints = options.checkpoints ?? ['sd_xl_base_1.0.safetensors'];
  const stepDelayMs = options.stepDelayMs ?? 2;
  const inputs = new Map<string, Buffer>();
  const outputs = new Map<string, Buffer>();
  const prompts: ReceivedPrompt[] = [];
  const uploads: ComfyUIFake['uploads'] = [];
  const interrupts: unknown[] = [];
  const jobCancels: ComfyUIFake['jobCancels'] = [];
  const deletes: string[][] = [];
  const hits = new Map<string, number>();
  const history = new Map<string, unknown>();
  const sockets = new Map<string, WebSocket>();
  let held = options.hold ?? false;
  let counter = 0;
  let number = 0;
  let lastRun: { key: string; ui: Record<string, unknown> } | undefined;
  type Item = { number: number; id: string; graph: Graph; extra: { client_id?: string }; outputs: string[] };
  const pending: Item[] = [];
  let running: (Item & { interrupted: boolean }) | undefined;

  const link = { kind: 'link' } as const;
  const NODES: Record<string, NodeDef> = {
    CheckpointLoaderSimple: { inputs: { ckpt_name: { kind: 'combo', choices: () => checkpoints } }, returns: ['MODEL', 'CLIP', 'VAE'] },
    CLIPTextEncode: { inputs: { text: { kind: 'string' }, clip: link }, returns: ['CONDITIONING'] },
    EmptyLatentImage: {
      inputs: { width: { kind: 'int', min: 16, max: 16384 }, height: { kind: 'int', min: 16, max: 16384 }, batch_size: { kind: 'int', min: 1, max: 4096 } },
      returns: ['LATENT'],
    },
    LoadImage: { inputs: { image: { kind: 'combo', choices: () => [...inputs.keys()].sort() } }, returns: ['IMAGE', 'MASK'] },
    LoadImageMask: {
      inputs: { image: { kind: 'combo', choices: () => [...inputs.keys()].sort() }, channel: { kind: 'combo', choices: () => ['alpha', 'red', 'green', 'blue'] } },
      returns: ['MASK'],
    },
    VAEEncode: { inputs: { pixels: link, vae: link }, returns: ['LATENT'] },
    VAEEncodeForInpaint: { inputs: { pixels: link, vae: link, mask: link, grow_mask_by: { kind: 'int', min: 0, max: 64 } }, returns: ['LATENT'] },
    InpaintModelConditioning: {
      inputs: { positive: link, negative: link, vae: link, pixels: link, mask: link, noise_mask: { kind: 'boolean' } },
      returns: ['CONDITIONING', 'CONDITIONING', 'LATENT'],
    },
    KSampler: {
      inputs: {
        model: link,
        seed: { kind: 'int', min: 0, max: 0xffffffffffffffff },
        steps: { kind: 'int', min: 1, max: 10000 },
        cfg: { kind: 'float', min: 0, max: 100 },
        sampler_name: { kind: 'combo', choices: () => samplers },
        scheduler: { kind: 'combo', choices: () => schedulers },
        positive: link,
        negative: link,
        latent_image: link,
        denoise: { kind: 'float', min: 0, max: 1 },
      },
      returns: ['LATENT'],
    },
    VAEDecode: { inputs: { samples: link, vae: link }, returns: ['IMAGE'] },
    SaveImage: { inputs: { images: link, filename_prefix: { kind: 'string' } }, output: true, returns: [] },
    PreviewImage: { inputs: { images: link }, output: true, returns: [] },
  };

  // --- websocket ---------------------------------------------------------------------------
  const send = (type: string, data: Record<string, unknown>, sid?: string) => {
    const text = JSON.stringify({ type, data });
    if (sid) sockets.get(sid)?.send(text);
    else for (const socket of sockets.values()) socket.send(text);
  };
  const queueInfo = () => ({ exec_info: { queue_remaining: pending.length + (running ? 1 : 0) } });
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const sid = new URL(request.url ?? '/', 'http://x').searchParams.get('clientId') || randomUUID().replace(/-/g, '');
    sockets.get(sid)?.close();
    sockets.set(sid, socket);
    socket.on('close', () => sockets.get(sid) === socket && sockets.delete(sid));
    send('status', { status: queueInfo(), sid }, sid);
  });

  // --- validation (execution.py validate_prompt / validate_inputs) --------------------------
  function validate(graph: Graph): { status: number; body: unknown; outputs: string[] } {
    const fail = (type: string, message: string, details: string) => ({
      status: 400,
      body: { error: { type, message, details, extra_info: {} }, node_errors: {} },
      outputs: [],
    });
    if (typeof graph !== 'object' || graph === null) return fail('invalid_prompt', 'Cannot execute because the prompt is not an object.', '');
    for (const [id, node] of Object.entries(graph)) {
      if (!node || typeof node.class_type !== 'string') return fail('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`);
      if (!NODES[node.class_type]) return fail('invalid_prompt', `Cannot execute because node ${node.class_type} does not exist.`, `Node ID '#${id}'`);
    }
    const outs = Object.keys(graph).filter((id) => NODES[graph[id]!.class_type]!.output);
    if (outs.length === 0) return fail('prompt_no_outputs', 'Prompt has no outputs', '');
    const nodeErrors: Record<string, unknown> = {};
    for (const [id, node] of Object.entries(graph)) {
      const errors: unknown[] = [];
      for (const [name, spec] of Object.entries(NODES[node.class_type]!.inputs)) {
        const value = node.inputs?.[name];
        const extra = { input_name: name, received_value: value };
        if (value === undefined) {
          errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: name, extra_info: { input_name: name } });
        } else if (spec.kind === 'link') {
          if (!Array.isArray(value) || !(String(value[0]) in graph)) {
            errors.push({ type: 'bad_linked_input', message: 'Bad linked input, must be a length-2 list of [string, int]', details: `${name}: ${JSON.stringify(value)}`, extra_info: extra });
          }
        } else if (Array.isArray(value)) {
          if (!(String(value[0]) in graph)) errors.push({ type: 'bad_linked_input', message: 'Bad linked input', details: name, extra_info: extra });
        } else if (spec.kind === 'int' || spec.kind === 'float') {
          if (typeof value !== 'number' || (spec.kind === 'int' && !Number.isInteger(value))) {
            errors.push({ type: 'invalid_input_type', message: `Failed to convert an input value to a ${spec.kind.toUpperCase()} value`, details: `${name}, ${JSON.stringify(value)}`, extra_info: extra });
          } else if (value < spec.min) {
            errors.push({ type: 'value_smaller_than_min', message: `Value ${value} smaller than min of ${spec.min}`, details: name, extra_info: extra });
          } else if (value > spec.max) {
            errors.push({ type: 'value_bigger_than_max', message: `Value ${value} bigger than max of ${spec.max}`, details: name, extra_info: extra });
          }
        } else if (spec.kind === 'combo') {
          const choices = spec.choices();
          if (!choices.includes(String(value))) {
            errors.push({ type: 'value_not_in_list', message: 'Value not in list', details: `${name}: '${value}' not in ${JSON.stringify(choices)}`, extra_info: extra });
          }
        }
      }
      if (errors.length > 0) nodeErrors[id] = { errors, dependent_outputs: outs, class_type: node.class_type };
    }
    if (Object.keys(nodeErrors).length > 0) {
      const details = Object.values(nodeErrors)
        .flatMap((entry) => (entry as { errors: { message: string; details: string }[] }).errors.map((e) => `${e.message}: ${e.details}`))
        .join('\n');
      return {
        status: 400,
        body: { error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details, extra_info: {} }, node_errors: nodeErrors },
        outputs: [],
      };
    }
    return { status: 200, body: undefined, outputs: outs };
  }

  // --- execution (one prompt at a time) ----------------------------------------------------
  async function pump(): Promise<void> {
    if (running || held || pending.length === 0) return;
    pending.sort((a, b) => a.number - b.number);
    const item = pending.shift()!;
    running = { ...item, interrupted: false };
    await execute(running).catch(() => undefined);
    running = undefined;
    setImmediate(() => void pump());
  }

  async function execute(item: Item & { interrupted: boolean }): Promise<void> {
    const sid = item.extra.client_id;
    const messages: [string, Record<string, unknown>][] = [];
    const message = (event: string, data: Record<string, unknown>) => {
      const stamped = { ...data, prompt_id: item.id, timestamp: Date.now() };
      messages.push([event, stamped]);
      if (sid) send(event, stamped, sid);
    };
    message('execution_start', {});
    const key = JSON.stringify(item.graph);
    const ui: Record<string, unknown> = {};
    let status = 'success';
    if (lastRun?.key === key) {
      message('execution_cached', { nodes: Object.keys(item.graph) });
      for (const [node, output] of Object.entries(lastRun.ui)) if (sid) send('executed', { node, display_node: node, output, prompt_id: item.id }, sid);
      Object.assign(ui, lastRun.ui);
      message('execution_success', {});
    } else {
      message('execution_cached', { nodes: [] });
      const results = new Map<string, unknown[]>();
      let current = '';
      try {
        const evaluate = async (id: string): Promise<unknown[]> => {
          const done = results.get(id);
          if (done) return done;
          const node = item.graph[id]!;
          const values: Record<string, unknown> = {};
          for (const [name, value] of Object.entries(node.inputs)) {
            values[name] = Array.isArray(value) ? (await evaluate(String(value[0])))[Number(value[1])] : value;
          }
          current = id;
          if (sid) send('executing', { node: id, display_node: id, prompt_id: item.id }, sid);
          if (node.class_type === options.failClass) throw new Error(`fake failure in ${node.class_type}`);
          const result = await run(node.class_type, values, item, id);
          if (NODES[node.class_type]!.output) {
            ui[id] = result[0];
            if (sid) send('executed', { node: id, display_node: id, output: result[0], prompt_id: item.id }, sid);
          }
          results.set(id, result);
          return result;
        };
        for (const id of item.outputs) await evaluate(id);
        message('execution_success', {});
        lastRun = { key, ui: { ...ui } };
      } catch (error) {
        status = 'error';
        const node = item.graph[current];
        if (error instanceof Interrupted) {
          message('execution_interrupted', { node_id: current, node_type: node?.class_type, executed: [...results.keys()] });
        } else {
          message('execution_error', {
            node_id: current,
            node_type: node?.class_type,
            executed: [...results.keys()],
            exception_message: (error as Error).message,
            exception_type: 'RuntimeError',
            traceback: [],
            current_inputs: {},
            current_outputs: [],
          });
        }
      }
    }
    // main.py: task_done writes the history, then `executing` with node null.
    await new Promise((resolve) => setTimeout(resolve, 1));
    history.set(item.id, {
      prompt: [item.number, item.id, item.graph, item.extra, item.outputs],
      outputs: ui,
      status: { status_str: status, completed: status === 'success', messages },
      meta: Object.fromEntries(Object.keys(ui).map((node) => [node, { node_id: node, display_node: node }])),
    });
    send('status', { status: { exec_info: { queue_remaining: pending.length } } });
    if (sid) send('executing', { node: null, prompt_id: item.id }, sid);
  }

  async function run(classType: string, v: Record<string, unknown>, item: Item & { interrupted: boolean }, id: string): Promise<unknown[]> {
    switch (classType) {
      case 'CheckpointLoaderSimple':
        return [{ model: v.ckpt_name }, { clip: true }, { vae: true }];
      case 'CLIPTextEncode':
        return [{ text: v.text }];
      case 'EmptyLatentImage':
        return [{ width: Number(v.width), height: Number(v.height) } satisfies Latent];
      case 'LoadImage': {
        const { data, info } = await sharp(inputs.get(String(v.image))!).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        return [{ data, width: info.width, height: info.height } satisfies Pixels, undefined];
      }
      case 'LoadImageMask': {
        const { data, info } = await sharp(inputs.get(String(v.image))!).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        const channel = ['red', 'green', 'blue', 'alpha'].indexOf(String(v.channel));
        const mask = Buffer.alloc(info.width * info.height);
        for (let p = 0; p < mask.length; p++) mask[p] = channel === 3 ? 255 - data[p * 4 + 3]! : data[p * 4 + channel]!;
        return [mask];
      }
      case 'VAEEncode': {
        const pixels = v.pixels as Pixels;
        return [{ width: pixels.width, height: pixels.height, pixels } satisfies Latent];
      }
      case 'VAEEncodeForInpaint':
      case 'InpaintModelConditioning': {
        const pixels = v.pixels as Pixels;
        const latent: Latent = { width: pixels.width, height: pixels.height, pixels, mask: v.mask as Buffer };
        return classType === 'InpaintModelConditioning' ? [v.positive, v.negative, latent] : [latent];
      }
      case 'KSampler': {
        const steps = Number(v.steps);
        for (let step = 1; step <= steps; step++) {
          if (item.interrupted) throw new Interrupted();
          if (stepDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, stepDelayMs));
          if (item.extra.client_id) send('progress', { value: step, max: steps, prompt_id: item.id, node: id }, item.extra.client_id);
        }
        if (item.interrupted) throw new Interrupted();
        if (Number(v.seed) === options.failSeed) throw new Error(`CUDA out of memory (fake, seed ${v.seed})`);
        const latent = v.latent_image as Latent;
        const colour = fakeColour(Number(v.seed), String((v.positive as { text: string }).text));
        const denoise = Number(v.denoise);
        const data = Buffer.alloc(latent.width * latent.height * 3);
        for (let p = 0; p < latent.width * latent.height; p++) {
          const weight = latent.pixels ? denoise * (latent.mask ? latent.mask[p]! / 255 : 1) : 1;
          for (let c = 0; c < 3; c++) {
            const base = latent.pixels ? latent.pixels.data[p * 3 + c]! : 0;
            data[p * 3 + c] = Math.round(base * (1 - weight) + colour[c]! * weight);
          }
        }
        return [{ width: latent.width, height: latent.height, pixels: { data, width: latent.width, height: latent.height } } satisfies Latent];
      }
      case 'VAEDecode':
        return [(v.samples as Latent).pixels];
      case 'SaveImage':
      case 'PreviewImage': {
        const pixels = v.images as Pixels;
        const type = classType === 'SaveImage' ? 'output' : 'temp';
        const filename = `${classType === 'SaveImage' ? String(v.filename_prefix) : 'ComfyUI_temp'}_${String(++counter).padStart(5, '0')}_.png`;
        outputs.set(`${type}/${filename}`, await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } }).png().toBuffer());
        return [{ images: [{ filename, subfolder: '', type }] }];
      }
      default:
        throw new Error(`fake cannot run ${classType}`);
    }
  }

  // --- routes --------------------------------------------------------------------------------
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const nodeInfo = (name: string) => {
    const def = name === 'KSampler' && options.advertisedSamplers
      ? { ...NODES[name]!, inputs: { ...NODES[name]!.inputs, sampler_name: { kind: 'combo' as const, choices: () => options.advertisedSamplers! } } }
      : NODES[name]!;
    const required = Object.fromEntries(
      Object.entries(def.inputs).map(([input, spec]) => [
        input,
        spec.kind === 'combo' ? [spec.choices(), { tooltip: input }] : spec.kind === 'link' ? ['LINK', {}] : [spec.kind.toUpperCase(), 'min' in spec ? { min: spec.min, max: spec.max } : {}],
      ]),
    );
    return { input: { required }, input_order: { required: Object.keys(required) }, output: def.returns, output_node: def.output ?? false, name, display_name: name, category: 'fake' };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/api(?=\/)/, '');
    const route = `${req.method} ${path.startsWith('/history/') ? '/history' : path}`;
    hits.set(route, (hits.get(route) ?? 0) + 1);

    if (req.method === 'POST' && path === '/prompt') {
      const body = JSON.parse((await readBody(req)).toString() || '{}');
      if (!('prompt' in body)) {
        prompts.push({ body, status: 400 });
        return json(res, 400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
      }
      const checked = validate(body.prompt);
      if (checked.status !== 200) {
        prompts.push({ body, status: checked.status });
        return json(res, checked.status, checked.body);
      }
      const id = String(body.prompt_id ?? randomUUID());
      const item: Item = { number: number++, id, graph: body.prompt, extra: { ...(body.extra_data ?? {}), client_id: body.client_id }, outputs: checked.outputs };
      prompts.push({ body, status: 200, promptId: id });
      pending.push(item);
      json(res, 200, { prompt_id: id, number: item.number, node_errors: {} });
      send('status', { status: queueInfo() });
      setImmediate(() => void pump());
      return;
    }
    if (req.method === 'GET' && path === '/prompt') return json(res, 200, queueInfo());
    if (req.method === 'GET' && path === '/queue') {
      const entry = (i: Item) => [i.number, i.id, i.graph, i.extra, i.outputs];
      return json(res, 200, { queue_running: running ? [entry(running)] : [], queue_pending: pending.map(entry) });
    }
    if (req.method === 'POST' && path === '/queue') {
      const body = JSON.parse((await readBody(req)).toString() || '{}');
      if (body.clear) pending.length = 0;
      if (Array.isArray(body.delete)) {
        deletes.push(body.delete);
        for (const id of body.delete) {
          const at = pending.findIndex((i) => i.id === id);
          if (at >= 0) pending.splice(at, 1);
        }
      }
      res.writeHead(200).end();
      return;
    }
    const jobCancel = /^\/api\/jobs\/([^/]+)\/cancel$/.exec(url.pathname);
    if (req.method === 'POST' && jobCancel && options.jobsApi) {
      const id = decodeURIComponent(jobCancel[1]!);
      const at = pending.findIndex((i) => i.id === id);
      const did = at >= 0 ? 'dequeued' : running?.id === id ? 'interrupted' : 'nothing';
      if (at >= 0) pending.splice(at, 1);
      if (did === 'interrupted') running!.interrupted = true;
      jobCancels.push({ id, did });
      return json(res, 200, { cancelled: did !== 'nothing' });
    }
    if (req.method === 'POST' && path === '/interrupt') {
      const text = (await readBody(req)).toString();
      let body: { prompt_id?: string } = {};
      try {
        body = JSON.parse(text);
      } catch {
        body = {};
      }
      interrupts.push(body);
      if (running && (!body.prompt_id || body.prompt_id === running.id)) running.interrupted = true;
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'GET' && path.startsWith('/history')) {
      const id = path.slice('/history/'.length);
      if (!id) return json(res, 200, Object.fromEntries(history));
      return json(res, 200, history.has(id) ? { [id]: history.get(id) } : {});
    }
    if (req.method === 'GET' && path === '/view') {
      const filename = url.searchParams.get('filename') ?? '';
      const type = url.searchParams.get('type') ?? 'output';
      const subfolder = url.searchParams.get('subfolder') ?? '';
      if (!filename || filename.startsWith('/') || filename.includes('..') || subfolder.includes('..')) return void res.writeHead(400).end();
      const bytes = type === 'input' ? inputs.get(subfolder ? `${subfolder}/${filename}` : filename) : outputs.get(`${type}/${subfolder ? `${subfolder}/` : ''}${filename}`);
      if (!bytes) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'image/png', 'content-disposition': `filename="${filename}"` });
      res.end(bytes);
      return;
    }
    if (req.method === 'POST' && path === '/upload/image') {
      const body = await readBody(req);
      const form = await new Request('http://x/upload', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body }).formData();
      const file = form.get('image');
      if (!(file instanceof File) || !file.name) return void res.writeHead(400).end();
      const bytes = Buffer.from(await file.arrayBuffer());
      const overwrite = form.get('overwrite');
      const [stem, ext] = file.name.includes('.') ? [file.name.slice(0, file.name.lastIndexOf('.')), file.name.slice(file.name.lastIndexOf('.'))] : [file.name, ''];
      let name = file.name;
      if (overwrite !== 'true' && overwrite !== '1') {
        for (let i = 1; inputs.has(name) && !inputs.get(name)!.equals(bytes); i++) name = `${stem} (${i})${ext}`;
      }
      inputs.set(name, bytes);
      uploads.push({ filename: file.name, name, bytes });
      return json(res, 200, { name, subfolder: '', type: String(form.get('type') ?? 'input') });
    }
    if (req.method === 'GET' && path === '/object_info') {
      return json(res, 200, Object.fromEntries(Object.keys(NODES).map((name) => [name, nodeInfo(name)])));
    }
    if (req.method === 'GET' && path.startsWith('/object_info/')) {
      const name = decodeURIComponent(path.slice('/object_info/'.length));
      return json(res, 200, NODES[name] ? { [name]: nodeInfo(name) } : {});
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`500 Internal Server Error\n\n${(error as Error).message}`);
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api(?=\/)/, '');
    if (options.websocket === false || path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    prompts,
    uploads,
    inputs,
    interrupts,
    deletes,
    jobCancels,
    hits,
    release() {
      held = false;
      void pump();
    },
    async close() {
      for (const socket of sockets.values()) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
