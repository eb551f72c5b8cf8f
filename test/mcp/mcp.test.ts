/** The MCP door, driven by the MCP SDK's own Client: over streamable HTTP (POST /mcp) and over stdio (`kimaging mcp`). */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import sharp from 'sharp';
import { startTestDaemon } from '../helpers/hosted-daemon.ts';
import { keyFor } from '../helpers/policy.ts';
import { ROOT } from '../helpers/processes.ts';

const TOOLS = ['cancel_job', 'compose_card', 'edit_image', 'generate_image', 'get_job', 'list_models', 'upscale_image'];

type Content = { type: string; data?: string; mimeType?: string; uri?: string; text?: string };

async function connect(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'kimaging-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

describe('MCP over streamable HTTP (POST /mcp)', () => {
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;
  let acme: Client;
  let other: Client;
  const ledger = () => daemon.engine.store.usage.list({ tenant: 'acme', from: new Date(0), to: new Date(Date.now() + 60_000) });

  before(async () => {
    daemon = await startTestDaemon({ tenants: [{ id: 'acme' }, { id: 'other' }] });
    acme = await connect(daemon.url, await keyFor(daemon.engine, 'acme'));
    other = await connect(daemon.url, await keyFor(daemon.engine, 'other'));
  });
  after(async () => {
    await Promise.all([acme.close(), other.close()]);
    await daemon.close();
  });

  it('lists every tool with input schemas taken from the HTTP routes', async () => {
    const { tools } = await acme.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    const generate = tools.find((t) => t.name === 'generate_image')!;
    assert.deepEqual(generate.inputSchema.required, ['prompt']);
    for (const knob of ['seed', 'size', 'steps', 'cfg_scale', 'sampler', 'negative_prompt']) assert.ok(generate.inputSchema.properties![knob], knob);
    const compose = tools.find((t) => t.name === 'compose_card')!;
    assert.ok(((compose.inputSchema.properties!.template as { enum: string[] }).enum).includes('og'), 'the template list is in the schema');
  });

  it('generate_image answers thumbnails and resource links; resources/read gives the full image; the ledger counts it', async () => {
    const before = (await ledger()).length;
    const result = await acme.callTool({ name: 'generate_image', arguments: { prompt: 'a lighthouse', n: 2, size: '640x512', seed: 5 } });
    assert.ok(!result.isError, JSON.stringify(result));
    const content = result.content as Content[];
    assert.deepEqual(content.map((c) => c.type), ['image', 'resource_link', 'image', 'resource_link', 'text']);
    assert.match(content.at(-1)!.text!, /seeds: 5, 6/);
    assert.ok(JSON.stringify(result).length < 100_000, 'a result stays far below agent caps');
    const thumb = await sharp(Buffer.from(content[0]!.data!, 'base64')).metadata();
    assert.deepEqual([thumb.format, thumb.width, thumb.height], ['webp', 256, 205]);

    const link = content[1]!.uri!;
    assert.match(link, /^kimaging:\/\/images\/img_[0-9a-f]{32}$/);
    const read = await acme.readResource({ uri: link });
    const full = read.contents[0] as { blob: string; mimeType: string };
    assert.equal(full.mimeType, 'image/png');
    const meta = await sharp(Buffer.from(full.blob, 'base64')).metadata();
    assert.deepEqual([meta.width, meta.height], [640, 512]);
    await assert.rejects(other.readResource({ uri: link }), /no image/, "another tenant cannot read acme's image");

    assert.deepEqual((await ledger()).slice(before).map((r) => [r.route, r.images]), [['generate', 2]]);
  });

  it('a refused request is a tool result with isError, naming the parameter', async () => {
    const result = await acme.callTool({ name: 'generate_image', arguments: { prompt: 'x', size: '3x3' } });
    assert.equal(result.isError, true);
    assert.match((result.content as Content[])[0]!.text!, /invalid_request: .*\(param: size\)/);
  });

  it('compose_card, list_models, and long work through async jobs', async () => {
    const card = await acme.callTool({ name: 'compose_card', arguments: { template: 'og', data: { title: 'Hello agents' } } });
    assert.ok(!card.isError, JSON.stringify(card));
    assert.equal((card.content as Content[])[0]!.type, 'image');
    const models = await acme.callTool({ name: 'list_models', arguments: {} });
    assert.equal((models.structuredContent as { default_model: string }).default_model, 'stub');

    const accepted = await acme.callTool({ name: 'generate_image', arguments: { prompt: 'a slow one', size: '64x64', async: true } });
    const id = (accepted.structuredContent as { id: string }).id;
    assert.match(id, /\S/);
    let job = await acme.callTool({ name: 'get_job', arguments: { id } });
    for (let i = 0; i < 50 && (job.content as Content[])[0]!.text !== `job ${id} succeeded`; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = await acme.callTool({ name: 'get_job', arguments: { id } });
    }
    assert.deepEqual((job.content as Content[]).map((c) => c.type), ['text', 'image', 'resource_link', 'text']);
    const cancelled = await acme.callTool({ name: 'cancel_job', arguments: { id: 'no-such-job' } });
    assert.equal(cancelled.isError, true);
    assert.equal((await other.callTool({ name: 'get_job', arguments: { id } })).isError, true, "another tenant's job is not found");
  });

  it('refuses a bad key', async () => {
    await assert.rejects(connect(daemon.url, 'kim_nope'), /401|API key/);
  });
});

describe('MCP over stdio (kimaging mcp)', () => {
  it('serves the same tools from a child process on the local engine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kimaging-mcp-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ server: { data_dir: join(dir, 'data') }, policy: { safety: { image: { enabled: false } } } }));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [`${ROOT}bin/kimaging.js`, 'mcp', '--local', '--config', join(dir, 'config.json')],
      cwd: dir,
      env: { ...(process.env as Record<string, string>), KIMAGING_URL: '', KIMAGING_API_KEY: '' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'kimaging-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), TOOLS);
      const result = await client.callTool({ name: 'generate_image', arguments: { prompt: 'a red fox', size: '64x64', seed: 7 } });
      const link = (result.content as Content[]).find((c) => c.type === 'resource_link')!.uri!;
      const full = (await client.readResource({ uri: link })).contents[0] as { blob: string };
      assert.equal((await sharp(Buffer.from(full.blob, 'base64')).metadata()).width, 64);
    } finally {
      await client.close();
    }
  });
});
