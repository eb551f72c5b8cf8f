/**
 * `kimaging compose TEMPLATE --field value ... [-o FILE]` and `kimaging compose --list`.
 * Built-in fields are flags of their own (`--title`, `--background-image`); any field, custom
 * templates' too, can be given as `--field name=value`. In an image field (logos, background
 * pictures) a value `@path` is read from that file and sent as base64; text fields keep their text,
 * so `--name @scope/pkg` is a package name. `@@` escapes a leading `@` in an image field.
 */
import { readFile } from 'node:fs/promises';
import type { ParseArgsConfig } from 'node:util';
import { BUILT_IN_TEMPLATES } from '../compose/templates/index.ts';
import type { Answer, Client } from './client.ts';
import { outputFormat, writeImages, type OutImage } from './output.ts';

type Flags = Record<string, string | boolean | string[] | undefined>;

const flagOf = (field: string) => field.replace(/_/g, '-');
const BUILT_IN_FIELDS = [...new Set(BUILT_IN_TEMPLATES.flatMap((t) => Object.keys(t.fields)))];

export const COMPOSE_OPTIONS = {
  ...Object.fromEntries(BUILT_IN_FIELDS.map((field) => [flagOf(field), { type: 'string' as const }])),
  field: { type: 'string', multiple: true },
  list: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
} satisfies ParseArgsConfig['options'];

export const COMPOSE_USAGE =
  'kimaging compose TEMPLATE [--title T] [--subtitle S] [--FIELD VALUE|@FILE ...] [--field NAME=VALUE ...] [--format png|webp|jpeg] [-o FILE] [--json] | kimaging compose --list';

export interface ComposeRun {
  positionals: string[];
  flags: Flags;
  client: Client;
  print: (line: string) => void;
  /** Throws the CLI's usage error (exit 2). */
  usage: (message: string) => Error;
  /** Throws the CLI's refusal for a 4xx/5xx answer (exit 1). */
  expectOk: (answer: Answer) => Answer;
}

export async function runCompose({ positionals, flags, client, print, usage, expectOk }: ComposeRun): Promise<void> {
  if (flags.list) {
    const answer = expectOk(await client.call('GET', '/v1/compose'));
    const list = answer.json as { data: { id: string; width: number; height: number; description: string; fields: Record<string, { required: boolean }> }[] };
    if (flags.json) return print(JSON.stringify(list, null, 2));
    for (const t of list.data) {
      const fields = Object.entries(t.fields).map(([name, f]) => (f.required ? `${name}*` : name));
      print(`${t.id}\t${t.width}x${t.height}\t${t.description}\n\tfields: ${fields.join(', ')}`);
    }
    return;
  }
  const template = positionals[0];
  if (!template || positionals.length > 1) throw usage('compose needs one TEMPLATE (see kimaging compose --list)');
  const given: [string, string][] = [];
  for (const field of BUILT_IN_FIELDS) {
    const value = flags[flagOf(field)];
    if (typeof value === 'string') given.push([field, value]);
  }
  for (const pair of (flags.field as string[] | undefined) ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw usage(`--field takes NAME=VALUE, got "${pair}"`);
    given.push([pair.slice(0, at), pair.slice(at + 1)]);
  }
  // Only the server knows a custom template's field types, so ask it when a value could be a file.
  const imageFields = given.some(([, value]) => value.startsWith('@')) ? await imageFieldsOf(client, template, expectOk) : new Set<string>();
  const data: Record<string, string> = {};
  for (const [field, value] of given) data[field] = imageFields.has(field) ? await imageValue(value, usage) : value;
  const format = outputFormat(flags.format as string | undefined, flags.output as string | undefined);
  const answer = expectOk(await client.call('POST', '/v1/compose', { template, data, ...(format && { format }) }));
  const result = answer.json as { images: OutImage[]; warnings: { message: string }[] };
  if (flags.json) return print(JSON.stringify(answer.json, null, 2));
  for (const warning of result.warnings) console.error(`warning: ${warning.message}`);
  for (const file of await writeImages(result.images, `${template}-${data.title ?? data.name ?? 'card'}`, flags.output as string | undefined)) print(file);
}

async function imageFieldsOf(client: Client, template: string, expectOk: (answer: Answer) => Answer): Promise<Set<string>> {
  const list = expectOk(await client.call('GET', '/v1/compose')).json as { data: { id: string; fields: Record<string, { type: string }> }[] };
  const fields = list.data.find((t) => t.id === template)?.fields ?? {};
  return new Set(Object.entries(fields).flatMap(([name, f]) => (f.type === 'image' ? [name] : [])));
}

async function imageValue(value: string, usage: (message: string) => Error): Promise<string> {
  if (value.startsWith('@@')) return value.slice(1);
  if (!value.startsWith('@')) return value;
  try {
    return (await readFile(value.slice(1))).toString('base64');
  } catch (error) {
    throw usage(`cannot read ${value.slice(1)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
