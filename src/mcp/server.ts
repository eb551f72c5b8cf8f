/**
 * The MCP door: an McpServer whose tools are the HTTP API, called in process (the daemon's
 * `POST /mcp`) or through the CLI's client (`kimaging mcp`, stdio). Every tool is one request to
 * the same routes, with the caller's key, so validation, policy, quota, cache and ledger are the
 * routes' own; input schemas are the routes' zod schemas.
 *
 * A tool result never carries a full image: agents' clients cap a result near 1 MB / 25k tokens.
 * It carries a small WebP thumbnail (image content) and a `resource_link` to
 * kimaging://images/{id}; `resources/read` of that link returns the full image, for its owner.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { z } from 'zod';
import type { ImageLinks } from '../images/links.ts';
import { ComposeBody } from '../server/routes/compose.ts';
import { UpscaleBody } from '../server/routes/upscale.ts';
import { EditBody, GenerateBody } from '../server/schemas.ts';
import { VERSION } from '../version.ts';

/** One request to the HTTP API, answered as status + JSON. */
export type ApiCall = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<{ status: number; json?: unknown }>;

export interface McpOptions {
  call: ApiCall;
  /** Where full images wait for resources/read, and whose they are (the tenant). */
  links: ImageLinks;
  owner: string;
  /** Template ids for compose_card's enum (GET /v1/compose), read once when the server is made. */
  templates: string[];
}

/** Thumbnails fit in this square: a few kB of WebP, so ten images stay far under any result cap. */
const THUMB_PX = 256;
const URI_PREFIX = 'kimaging://images/';

interface ImagesAnswer {
  model?: string;
  template?: string;
  images: { b64_json: string; mime_type: string; width?: number; height?: number; seed?: number }[];
  warnings: { message: string }[];
}

export function createMcpServer(options: McpOptions): McpServer {
  const { call, links, owner } = options;
  const server = new McpServer({ name: 'koder-imaging', version: VERSION });

  /** An API answer as a tool result: errors are results with isError (the agent reads them), not protocol faults. */
  const run = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<CallToolResult> => {
    const answer = await call(method, path, body);
    const json = answer.json as { error?: { code: string; message: string; param?: string } } | undefined;
    if (answer.status >= 400 || json?.error) {
      const error = json?.error;
      return { isError: true, content: [{ type: 'text', text: error ? `${error.code}: ${error.message}${error.param ? ` (param: ${error.param})` : ''}` : `HTTP ${answer.status}` }] };
    }
    if (json && typeof json === 'object' && 'images' in json) return imagesResult(json as ImagesAnswer);
    return { content: [{ type: 'text', text: JSON.stringify(json) }], structuredContent: json as Record<string, unknown> };
  };

  const imagesResult = async (answer: ImagesAnswer): Promise<CallToolResult> => {
    const content: CallToolResult['content'] = [];
    for (const [index, image] of answer.images.entries()) {
      const bytes = Buffer.from(image.b64_json, 'base64');
      const id = links.put(owner, bytes, image.mime_type);
      const thumb = await sharp(bytes).resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toBuffer();
      const size = image.width && image.height ? `${image.width}x${image.height}` : 'full size';
      content.push({ type: 'image', data: thumb.toString('base64'), mimeType: 'image/webp' });
      content.push({
        type: 'resource_link',
        uri: `${URI_PREFIX}${id}`,
        name: `image ${index + 1}${image.seed !== undefined ? ` (seed ${image.seed})` : ''}`,
        mimeType: image.mime_type,
        description: `The ${size} image; read this resource for its bytes (kept an hour)`,
      });
    }
    const seeds = answer.images.map((image) => image.seed).filter((seed) => seed !== undefined);
    const summary = [
      `${answer.images.length} image(s) from ${answer.model ?? answer.template}`,
      ...(seeds.length > 0 ? [`seeds: ${seeds.join(', ')}`] : []),
      ...answer.warnings.map((warning) => `warning: ${warning.message}`),
    ];
    content.push({ type: 'text', text: summary.join('\n') });
    return { content };
  };

  // `cache` stays the HTTP caller's: an agent gets the cache's normal behaviour.
  const generateInput = GenerateBody.omit({ cache: true });
  server.registerTool(
    'generate_image',
    { title: 'Generate an image', description: 'Text to image. Returns thumbnails and resource links to the full images. async: true answers a job id (see get_job).', inputSchema: generateInput },
    (args) => run('POST', '/v1/generate', args),
  );
  server.registerTool(
    'edit_image',
    {
      title: 'Edit an image',
      description: 'Image to image, or inpainting with a mask (white = repaint, black = keep). image and mask are base64 or data URLs.',
      inputSchema: EditBody.omit({ cache: true }),
    },
    (args) => run('POST', '/v1/edit', args),
  );
  server.registerTool(
    'upscale_image',
    { title: 'Upscale an image', description: '2x/4x super-resolution (ESRGAN) or Lanczos. image is base64 or a data URL.', inputSchema: UpscaleBody },
    (args) => run('POST', '/v1/upscale', args),
  );
  const templates = options.templates.length > 0 ? options.templates : ['og'];
  server.registerTool(
    'compose_card',
    {
      title: 'Compose a card',
      description: `An Open Graph image, banner or social card from a template (${templates.join(', ')}); list_templates-like details are in GET /v1/compose.`,
      inputSchema: ComposeBody.extend({ template: z.enum(templates as [string, ...string[]]) }),
    },
    (args) => run('POST', '/v1/compose', args),
  );
  server.registerTool('list_models', { title: 'List models', description: 'The models and aliases this service serves, with the knobs each honours.' }, () =>
    run('GET', '/v1/models'),
  );
  const jobId = z.object({ id: z.string().min(1) });
  server.registerTool('get_job', { title: 'Get a job', description: 'State, queue place, progress and (once done) the images of an async job.', inputSchema: jobId }, async ({ id }) => {
    const answer = await call('GET', `/v1/jobs/${encodeURIComponent(id)}`);
    const job = answer.json as { status?: string; result?: ImagesAnswer } | undefined;
    if (answer.status === 200 && job?.status === 'succeeded' && job.result) {
      const done = await imagesResult(job.result);
      return { content: [{ type: 'text', text: `job ${id} succeeded` }, ...done.content] };
    }
    return run('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  });
  server.registerTool('cancel_job', { title: 'Cancel a job', description: 'Cancel an async job: it leaves the queue, or its backend call is interrupted.', inputSchema: jobId }, ({ id }) =>
    run('DELETE', `/v1/jobs/${encodeURIComponent(id)}`),
  );

  server.registerResource(
    'image',
    new ResourceTemplate(`${URI_PREFIX}{id}`, { list: undefined }),
    { title: 'A generated image', description: 'The full image behind a resource_link of a tool result' },
    async (uri, { id }) => {
      const entry = links.get(owner, String(id));
      if (!entry) throw new Error(`no image ${uri.href}: images are kept an hour, for the key that made them`);
      return { contents: [{ uri: uri.href, mimeType: entry.mimeType, blob: Buffer.from(entry.bytes).toString('base64') }] };
    },
  );
  return server;
}

/** compose_card's enum: the template ids the service has. */
export async function templateIds(call: ApiCall): Promise<string[]> {
  const answer = await call('GET', '/v1/compose');
  const list = answer.json as { data?: { id: string }[] } | undefined;
  return answer.status === 200 ? (list?.data ?? []).map((t) => t.id) : [];
}
