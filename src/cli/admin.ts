/**
 * `kimaging keys` and `kimaging usage`. Keys are managed on the store directly, not over HTTP:
 * creating the first key cannot need a key, and whoever can read the config and the data dir
 * already owns the service. `kimaging usage` reads GET /v1/usage like any client, so a tenant
 * sees its own usage with its own key.
 */
import { resolveConfig, type Config } from '../config/index.ts';
import { createKey } from '../policy/index.ts';
import { existingStore, openStore } from '../store/index.ts';

/** A malformed command line (exit 2). */
export class AdminUsageError extends Error {}
/** A well-formed command the store refuses, e.g. revoking a key that is not there (exit 1). */
export class AdminRefusal extends Error {}

export interface KeysArgs {
  action: string | undefined;
  positionals: string[];
  tenant?: string;
  name?: string;
  configPath?: string;
  dataDir?: string;
  json: boolean;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
}

async function configFor(args: KeysArgs): Promise<Config> {
  return resolveConfig({ configPath: args.configPath ?? (args.env.KIMAGING_CONFIG || undefined), dataDir: args.dataDir ?? (args.env.KIMAGING_DATA_DIR || undefined) });
}

export async function runKeys(args: KeysArgs): Promise<void> {
  const config = await configFor(args);
  if (args.action === 'revoke' && !args.positionals[0]) throw new AdminUsageError('keys revoke needs a key id (see `kimaging keys list`)');
  // Reading keys must not create a data folder where there was none (a mistyped --data-dir).
  if ((args.action === 'list' || args.action === 'revoke') && !existingStore(config)) {
    const where = `no store in ${config.server.data_dir}`;
    if (args.action === 'revoke') throw new AdminRefusal(`no such key ${args.positionals[0]} (${where})`);
    if (args.json) return args.print('[]');
    console.error(`no keys yet: ${where}`);
    return;
  }
  const store = await openStore(config);
  try {
    switch (args.action) {
      case 'create': {
        if (!args.tenant) throw new AdminUsageError('keys create needs --tenant T');
        const known = config.tenants.map((t) => t.id);
        if (!known.includes(args.tenant)) {
          throw new AdminUsageError(
            known.length === 0
              ? 'no tenants are configured (open mode needs no keys); add a `tenants:` list to the config and pass it with --config'
              : `no tenant "${args.tenant}" in the config (known: ${known.join(', ')})`,
          );
        }
        const { key, record } = await createKey(store.keys, args.tenant, args.name);
        if (args.json) return args.print(JSON.stringify({ key, id: record.id, tenant: record.tenant, name: record.name ?? null }, null, 2));
        args.print(key);
        console.error(`created ${record.id} for tenant ${record.tenant}; the key is shown only this once`);
        return;
      }
      case 'list': {
        const keys = await store.keys.list(args.tenant);
        if (args.json) return args.print(JSON.stringify(keys, null, 2));
        for (const k of keys) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
          args.print(`${k.id}\ttenant=${k.tenant}\tname=${k.name ?? '-'}\t${k.prefix}…\tcreated ${k.createdAt.toISOString()}\t${state}`);
        }
        return;
      }
      case 'revoke': {
        const id = args.positionals[0]!;
        if (!(await store.keys.revoke(id))) throw new AdminRefusal(`no such key ${id} (or it is already revoked)`);
        args.print(`revoked ${id}`);
        return;
      }
      default:
        throw new AdminUsageError('keys needs an action: create, list or revoke');
    }
  } finally {
    await store.close();
  }
}

const SPAN = /^(\d+)([hdw])$/;
const SPAN_MS: Record<string, number> = { h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `7d`, `24h`, `2w` before now, or a date/time as such. */
export function sinceToTime(value: string, now = new Date()): string {
  const span = SPAN.exec(value);
  if (span) return new Date(now.getTime() - Number(span[1]) * SPAN_MS[span[2]!]!).toISOString();
  if (Number.isNaN(new Date(value).getTime())) throw new AdminUsageError(`--since must be like 7d, 24h, 2w or a date, got "${value}"`);
  return value;
}

interface UsageAnswer {
  group_by: 'day' | 'model';
  data: Record<string, string | number>[];
  totals: Record<string, number>;
}

const COLUMNS = ['requests', 'images', 'megapixels', 'cost', 'cached_images', 'failed'] as const;

export function formatUsage(answer: UsageAnswer, csv: boolean): string[] {
  const header = ['tenant', answer.group_by, ...COLUMNS];
  const rows = answer.data.map((row) => [row.tenant, row[answer.group_by], ...COLUMNS.map((c) => row[c])].map((v) => String(v ?? '')));
  if (csv) return [header, ...rows].map((cells) => cells.map(csvCell).join(','));
  const total = ['total', '', ...COLUMNS.map((c) => String(answer.totals[c] ?? 0))];
  const table = [header, ...rows, total];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((cells) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
