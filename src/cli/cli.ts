/**
 * kimaging: the command line. Commands are a table; each parses its own flags, talks to the
 * service through a Client (daemon or --local) and maps the answer to an exit code:
 * 0 done, 1 refused (the server's message), 2 usage error, 3 daemon unreachable.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runDaemon } from '../server/daemon.ts';
import { VERSION } from '../version.ts';
import { createClient, UnreachableError, type Answer, type Client } from './client.ts';
import { COMPOSE_OPTIONS, COMPOSE_USAGE, runCompose } from './compose.ts';
import { OutputNameError, outputFormat, writeImages, type OutImage } from './output.ts';
import { AdminRefusal, AdminUsageError, formatUsage, runKeys, sinceToTime } from './admin.ts';
import { serveMcpOverStdio } from './mcp.ts';
import { followJob } from './progress.ts';
import { defaultUpscalePath, progressBar, streamUpscale } from './upscale.ts';

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

class UsageError extends Error {}
class RefusedError extends Error {}

type Flags = Record<string, string | boolean | string[] | undefined>;

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  local: { type: 'boolean' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const IMAGE_OPTIONS = {
  n: { type: 'string', short: 'n' },
  size: { type: 'string' },
  seed: { type: 'string' },
  model: { type: 'string', short: 'm' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  sampler: { type: 'string' },
  scheduler: { type: 'string' },
  steps: { type: 'string' },
  cfg: { type: 'string' },
  negative: { type: 'string' },
  'strict-knobs': { type: 'boolean' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const KNOB_USAGE = '[--sampler S] [--scheduler S] [--steps N] [--cfg X] [--negative TEXT] [--strict-knobs]';

interface Command {
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Runs with a client; `serve` has none and runs the daemon instead. */
  run(args: { positionals: string[]; flags: Flags; client: Client; print: (line: string) => void; env: NodeJS.ProcessEnv }): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  generate: {
    usage: `kimaging generate PROMPT [-n N] [--size WxH] [--seed S] [--model M] ${KNOB_USAGE} [--format png|webp|jpeg] [-o FILE|DIR] [--json]`,
    options: IMAGE_OPTIONS,
    async run({ positionals, flags, client, print }) {
      const prompt = requirePrompt(positionals);
      await generateImages(client, '/v1/generate', { prompt, ...imageFields(flags) }, flags, print);
    },
  },
  edit: {
    usage: `kimaging edit PROMPT --image FILE [--mask FILE] [--strength X] [-n N] [--size WxH] [--seed S] [--model M] ${KNOB_USAGE} [-o FILE|DIR] [--json]`,
    options: { ...IMAGE_OPTIONS, image: { type: 'string' }, mask: { type: 'string' }, strength: { type: 'string' } },
    async run({ positionals, flags, client, print }) {
      const prompt = requirePrompt(positionals);
      if (typeof flags.image !== 'string') throw new UsageError('edit needs --image FILE');
      const body: Record<string, unknown> = { prompt, ...imageFields(flags), image: await readBase64(flags.image, '--image') };
      if (typeof flags.mask === 'string') body.mask = await readBase64(flags.mask, '--mask');
      if (flags.strength !== undefined) body.strength = toNumber(flags.strength, '--strength');
      await generateImages(client, '/v1/edit', body, flags, print);
    },
  },
  compose: {
    usage: COMPOSE_USAGE,
    options: COMPOSE_OPTIONS,
    run: ({ positionals, flags, client, print }) =>
      runCompose({ positionals, flags, client, print, usage: (message) => new UsageError(message), expectOk }),
  },
  upscale: {
    usage: 'kimaging upscale IMAGE --scale 2|3|4|8 [--method esrgan|esrgan-medium|lanczos|provider] [--format png|webp|jpeg] [-o FILE] [--json]',
    options: { scale: { type: 'string' }, method: { type: 'string' }, format: { type: 'string' }, output: { type: 'string', short: 'o' } },
    async run({ positionals, flags, client, print }) {
      if (positionals.length !== 1) throw new UsageError('upscale takes one IMAGE file');
      if (flags.scale === undefined) throw new UsageError('upscale needs --scale (2, 3, 4 or 8)');
      const scale = toInteger(flags.scale, '--scale');
      const format = outputFormat(flags.format as string | undefined, flags.output as string | undefined);
      const body: Record<string, unknown> = { image: await readBase64(positionals[0]!, 'IMAGE'), scale };
      if (flags.method !== undefined) body.method = flags.method;
      if (format !== undefined) body.format = format;
      const bar = progressBar(process.stderr);
      const answer = await streamUpscale(client, body, bar).finally(() => bar.end());
      const result = expectOk(answer).json as { images: OutImage[]; warnings: { message: string }[] };
      if (flags.json) return print(JSON.stringify(result, null, 2));
      for (const warning of result.warnings) console.error(`warning: ${warning.message}`);
      const out = (flags.output as string | undefined) ?? defaultUpscalePath(positionals[0]!, scale, result.images[0]!.mime_type);
      for (const file of await writeImages(result.images, 'upscaled', out)) print(file);
    },
  },
  models: {
    usage: 'kimaging models [--json]',
    async run({ flags, client, print }) {
      const answer = expectOk(await client.call('GET', '/v1/models'));
      type Listed = { id: string; owned_by: string; capabilities: string[]; knobs: string[] };
      const list = answer.json as { data: Listed[]; default_model: string; aliases?: Record<string, string[]>; backend_models?: Listed[] };
      if (flags.json) return print(JSON.stringify(list, null, 2));
      for (const m of list.data) {
        const mark = m.id === list.default_model ? ' (default)' : '';
        print(`${m.id}${mark}\tprovider=${m.owned_by}\t${m.capabilities.join(',')}\tknobs=${m.knobs.join(',')}`);
      }
      for (const [alias, chain] of Object.entries(list.aliases ?? {})) {
        print(`${alias}${alias === list.default_model ? ' (default)' : ''}\talias -> ${chain.join(', ')}`);
      }
      const reported = list.backend_models ?? [];
      if (reported.length > 0) print(`\nreported by the backends (add one to the config's models to serve it):`);
      for (const m of reported) print(`${m.id}\tprovider=${m.owned_by}\t${m.capabilities.join(',')}`);
    },
  },
  keys: {
    usage: 'kimaging keys create --tenant T [--name N] | keys list [--tenant T] | keys revoke ID   (on the store: --config FILE, --data-dir DIR)',
    options: { tenant: { type: 'string' }, name: { type: 'string' }, 'data-dir': { type: 'string' } },
    async run({ positionals, flags, print, env }) {
      const [action, ...rest] = positionals;
      try {
        await runKeys({
          action,
          positionals: rest,
          tenant: flags.tenant as string | undefined,
          name: flags.name as string | undefined,
          configPath: flags.config as string | undefined,
          dataDir: flags['data-dir'] as string | undefined,
          json: flags.json === true,
          env,
          print,
        });
      } catch (error) {
        if (error instanceof AdminUsageError) throw new UsageError(error.message);
        if (error instanceof AdminRefusal) throw new RefusedError(error.message);
        throw error;
      }
    },
  },
  mcp: {
    usage: 'kimaging mcp   (an MCP server on stdin/stdout for agents: --url/--api-key to a daemon, or --local)',
    async run({ client }) {
      await serveMcpOverStdio(client);
    },
  },
  usage: {
    usage: 'kimaging usage [--since 7d|24h|DATE] [--until DATE] [--group-by day|model] [--tenant T] [--csv|--json]',
    options: { since: { type: 'string' }, until: { type: 'string' }, 'group-by': { type: 'string' }, tenant: { type: 'string' }, csv: { type: 'boolean' } },
    async run({ flags, client, print }) {
      const query = new URLSearchParams();
      try {
        query.set('from', sinceToTime((flags.since as string | undefined) ?? '7d'));
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (flags.until !== undefined) query.set('to', String(flags.until));
      if (flags['group-by'] !== undefined) query.set('group_by', String(flags['group-by']));
      if (flags.tenant !== undefined) query.set('tenant', String(flags.tenant));
      const answer = expectOk(await client.call('GET', `/v1/usage?${query}`));
      if (flags.json) return print(JSON.stringify(answer.json, null, 2));
      for (const line of formatUsage(answer.json as Parameters<typeof formatUsage>[0], flags.csv === true)) print(line);
    },
  },
};

const USAGE = `kimaging ${VERSION}: generate and edit images through koder-imaging

${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n')}
  kimaging serve [--host H] [--port P] [--data-dir DIR] [--config FILE]

Global: --url URL (env KIMAGING_URL, default http://127.0.0.1:8700), --api-key KEY (env KIMAGING_API_KEY),
        --local (run the engine in this process, no daemon; --config FILE for its config), --json
        generate/edit: --progress shows place in line, then percent (the default on a terminal; --no-progress turns it off)
Exit codes: 0 done, 1 refused by the service, 2 usage error, 3 daemon unreachable`;

function imageFields(flags: Flags): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (flags.n !== undefined) fields.n = toInteger(flags.n, '-n');
  if (flags.size !== undefined) fields.size = flags.size;
  if (flags.seed !== undefined) fields.seed = toInteger(flags.seed, '--seed');
  if (flags.model !== undefined) fields.model = flags.model;
  if (flags.sampler !== undefined) fields.sampler = flags.sampler;
  if (flags.scheduler !== undefined) fields.scheduler = flags.scheduler;
  if (flags.steps !== undefined) fields.steps = toInteger(flags.steps, '--steps');
  if (flags.cfg !== undefined) fields.cfg_scale = toNumber(flags.cfg, '--cfg');
  if (flags.negative !== undefined) fields.negative_prompt = flags.negative;
  if (flags['strict-knobs'] === true) fields.strict_knobs = true;
  const format = outputFormat(flags.format as string | undefined, flags.output as string | undefined);
  if (format !== undefined) fields.output_format = format;
  return fields;
}

/** A progress bar when asked (--progress), or by default when stderr is a terminal and the output is not --json. */
function wantsProgress(flags: Flags): boolean {
  if (flags['no-progress']) return false;
  if (flags.progress) return true;
  return !flags.json && process.stderr.isTTY === true;
}

async function generateImages(client: Client, path: string, body: Record<string, unknown>, flags: Flags, print: (line: string) => void) {
  let json: unknown;
  if (wantsProgress(flags)) {
    const accepted = expectOk(await client.call('POST', path, { ...body, async: true })).json as { id: string };
    const job = (await followJob(client, accepted.id, process.stderr)) as { status: string; result?: unknown; error?: { code: string; message: string; param?: string } };
    if (job.status !== 'succeeded') throw new RefusedError(`${job.error?.code ?? job.status}: ${job.error?.message ?? 'the job did not finish'}${job.error?.param ? ` (${job.error.param})` : ''}`);
    json = job.result;
  } else {
    json = expectOk(await client.call('POST', path, body)).json;
  }
  const result = json as { images: OutImage[]; warnings: { message: string }[] };
  if (flags.json) return print(JSON.stringify(json, null, 2));
  for (const warning of result.warnings) console.error(`warning: ${warning.message}`);
  for (const file of await writeImages(result.images, String(body.prompt), flags.output as string | undefined)) print(file);
}

function expectOk(answer: Answer): Answer {
  if (answer.status < 400) return answer;
  const error = (answer.json as { error?: { code?: string; message?: string; param?: string } } | undefined)?.error;
  const where = error?.param ? ` (${error.param})` : '';
  throw new RefusedError(`${error?.code ?? `HTTP ${answer.status}`}: ${error?.message ?? 'request failed'}${where}`);
}

function requirePrompt(positionals: string[]): string {
  const prompt = positionals.join(' ').trim();
  if (!prompt) throw new UsageError('a PROMPT is required');
  return prompt;
}

function toNumber(value: unknown, name: string): number {
  const number = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(number)) throw new UsageError(`${name} must be a number, got "${value}"`);
  return number;
}

function toInteger(value: unknown, name: string): number {
  const number = toNumber(value, name);
  if (!Number.isInteger(number)) throw new UsageError(`${name} must be a whole number, got "${value}"`);
  return number;
}

async function readBase64(path: string, name: string): Promise<string> {
  try {
    return (await readFile(path)).toString('base64');
  } catch (error) {
    throw new UsageError(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'serve') return runDaemon(rest, env);
  if (name === '--version' || name === '-v') {
    console.log(VERSION);
    return EXIT.ok;
  }
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: ${command.usage}`);
    return EXIT.usage;
  }
  const flags = parsed.values as Flags;
  if (flags.help) {
    console.log(`usage: ${command.usage}`);
    return EXIT.ok;
  }
  const url = (flags.url as string | undefined) ?? env.KIMAGING_URL ?? 'http://127.0.0.1:8700';
  let client: Client | undefined;
  try {
    client = await createClient({
      url,
      apiKey: (flags['api-key'] as string | undefined) ?? env.KIMAGING_API_KEY,
      local: flags.local === true,
      configPath: flags.config as string | undefined,
    });
    await command.run({ positionals: parsed.positionals, flags, client, print: (line) => console.log(line), env });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError || error instanceof OutputNameError) {
      console.error(`${error.message}\nusage: ${command.usage}`);
      return EXIT.usage;
    }
    if (error instanceof RefusedError) {
      console.error(`error: ${error.message}`);
      return EXIT.refused;
    }
    if (error instanceof UnreachableError) {
      console.error(`error: ${error.message}\nhint: start the daemon with \`kimaging serve\` (or \`npm start\`), point --url at it, or use --local`);
      return EXIT.unreachable;
    }
    throw error;
  } finally {
    await client?.close();
  }
}

