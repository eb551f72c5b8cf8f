/**
 * A fake Replicate API (backends.md 6), faithful to what a client must handle:
 * - POST /v1/models/{owner}/{name}/predictions (official models) and POST /v1/predictions with a
 *   `version`; `Prefer: wait` answers at once with the prediction as it stands, which for a slow
 *   prediction is still `starting` (as when Replicate's 60 s hold runs out);
 * - GET /v1/predictions/{id} moves starting -> processing -> succeeded (or failed) over polls;
 *   POST /v1/predictions/{id}/cancel makes it `canceled`;
 * - outputs are URLs served by the fake itself under /delivery/ (a stand-in for replicate.delivery);
 * - cog-sdxl and cog-flux inputs: SDXL's scheduler enum and num_outputs 1..4 are validated (422
 *   problem details), a missing seed (and for FLUX a seed of 0) becomes a 16-bit random seed, and
 *   the logs say "Using seed: N";
 * - the safety checker drops NSFW outputs silently, and fails the prediction if it drops them all;
 * - errors are RFC 7807 problem details `{type, title, status, detail}`.
 * Prompts that steer it: "quick" (done within the create call), "hang" (never finishes), "crash"
 * (fails), "nsfw" (drops every output but the first; all of them if num_outputs is 1), "evil" (an
 * output URL on another host), "huge" (an output larger than a small cap).
 */
import type { ServerResponse } from 'node:http';
import { paintPng, sendJson, startFakeServer, type FakeServer, type Recorded } from './hosted-fake-http.ts';

export interface ReplicateFakeOptions {
  token?: string;
}

interface FakePrediction {
  id: string;
  model: string;
  version?: string;
  input: Record<string, any>;
  status: string;
  polls: number;
  output: string[] | null;
  logs: string;
  error: string | null;
  prompt: string;
}

const SDXL_SCHEDULERS = ['DDIM', 'DPMSolverMultistep', 'HeunDiscrete', 'KarrasDPM', 'K_EULER_ANCESTRAL', 'K_EULER', 'PNDM'];
const FLUX_RATIOS = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'];

const problem = (res: ServerResponse, status: number, title: string, detail: string) =>
  sendJson(res, status, { type: `https://replicate.com/docs/reference/http#${status}`, title, status, detail }, { 'content-type': 'application/problem+json' });

export async function startReplicateFake(options: ReplicateFakeOptions = {}): Promise<FakeServer & { predictions: Map<string, FakePrediction> }> {
  const predictions = new Map<string, FakePrediction>();
  const outputs = new Map<string, Buffer>();
  let counter = 0;
  let base = '';

  const view = (p: FakePrediction) => ({
    id: p.id,
    model: p.model,
    version: p.version ?? 'hidden',
    input: p.input,
    output: p.output,
    logs: p.logs,
    error: p.error,
    status: p.status,
    source: 'api',
    data_removed: false,
    created_at: new Date().toISOString(),
    urls: { get: `${base}/v1/predictions/${p.id}`, cancel: `${base}/v1/predictions/${p.id}/cancel` },
  });

  async function finish(p: FakePrediction): Promise<void> {
    const flux = p.model.includes('flux');
    const seed = Number.isInteger(p.input.seed) && (!flux || p.input.seed !== 0) ? p.input.seed : Math.floor(Math.random() * 65536);
    const n = p.input.num_outputs ?? 1;
    let logs = `Using seed: ${seed}\n`;
    if (p.prompt.includes('crash')) {
      Object.assign(p, { status: 'failed', logs, error: 'CUDA out of memory' });
      return;
    }
    const kept = p.prompt.includes('nsfw') ? (n === 1 ? 0 : 1) : n;
    if (kept === 0) {
      Object.assign(p, { status: 'failed', logs, error: flux ? 'All generated images contained NSFW content. Try running it again with a different prompt.' : 'NSFW content detected. Try running it again, or try a different prompt.' });
      return;
    }
    const urls: string[] = [];
    for (let i = 0; i < kept; i++) {
      const path = `/delivery/${p.id}/out-${i}.png`;
      outputs.set(path, p.prompt.includes('huge') ? Buffer.alloc(64 * 1024, 1) : await paintPng(64, 64, `${p.prompt}|${seed}|${i}`));
      urls.push(p.prompt.includes('evil') ? `https://evil.example.com${path}` : `${base}${path}`);
    }
    if (flux) logs += `Total safe images: ${kept} out of ${n}\n`;
    Object.assign(p, { status: 'succeeded', logs, output: urls });
  }

  async function create(req: Recorded, res: ServerResponse, model: string, version?: string): Promise<void> {
    const input = req.json?.input;
    if (!input || typeof input.prompt !== 'string') return problem(res, 422, 'Input validation failed', '- input: prompt is required');
    if (input.num_outputs !== undefined && !(input.num_outputs >= 1 && input.num_outputs <= 4)) {
      return problem(res, 422, 'Input validation failed', '- input.num_outputs: Must be less than or equal to 4');
    }
    if (!model.includes('flux') && input.scheduler !== undefined && !SDXL_SCHEDULERS.includes(input.scheduler)) {
      return problem(res, 422, 'Input validation failed', `- input.scheduler: input.scheduler must be one of the following: ${SDXL_SCHEDULERS.map((s) => `"${s}"`).join(', ')}`);
    }
    if (model.includes('flux') && input.aspect_ratio !== undefined && !FLUX_RATIOS.includes(input.aspect_ratio)) {
      return problem(res, 422, 'Input validation failed', '- input.aspect_ratio: input.aspect_ratio must be one of the following: ...');
    }
    const id = `p${++counter}${Math.random().toString(36).slice(2, 8)}`;
    const p: FakePrediction = { id, model, version, input, status: 'starting', polls: 0, output: null, logs: '', error: null, prompt: input.prompt };
    predictions.set(id, p);
    if (p.prompt.includes('quick') && /wait/.test(req.headers.prefer ?? '')) await finish(p);
    sendJson(res, 201, view(p));
  }

  const server = await startFakeServer(async (req, res) => {
    if (req.path.startsWith('/delivery/')) {
      const bytes = outputs.get(req.path);
      if (!bytes) return problem(res, 404, 'Not found', 'no such file');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(bytes.length) });
      return void res.end(bytes);
    }
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      return problem(res, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
    }
    let match: RegExpExecArray | null;
    if (req.method === 'POST' && (match = /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/.exec(req.path))) return create(req, res, `${match[1]}/${match[2]}`);
    if (req.method === 'POST' && req.path === '/v1/predictions') {
      const version = String(req.json?.version ?? '');
      if (!/^[0-9a-f]{64}$/.test(version)) return problem(res, 422, 'Invalid version', 'The specified version does not exist (or perhaps you do not have permission to use it?)');
      return create(req, res, 'stability-ai/sdxl', version);
    }
    if ((match = /^\/v1\/predictions\/([^/]+)(\/cancel)?$/.exec(req.path))) {
      const p = predictions.get(match[1]!);
      if (!p) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
      if (match[2] && req.method === 'POST') {
        if (!['succeeded', 'failed', 'canceled'].includes(p.status)) p.status = 'canceled';
        return sendJson(res, 200, view(p));
      }
      if (req.method === 'GET') {
        p.polls++;
        if (p.status === 'starting' && !p.prompt.includes('hang')) p.status = 'processing';
        else if (p.status === 'processing' && !p.prompt.includes('hang')) await finish(p);
        else if (p.status === 'starting') p.status = 'processing';
        return sendJson(res, 200, view(p));
      }
    }
    return problem(res, 404, 'Not found', `${req.method} ${req.path}`);
  });
  base = server.url;
  return Object.assign(server, { predictions });
}
