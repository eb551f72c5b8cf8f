/** Loading and validating the config: file, then environment, then flags, each over the last. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Config } from './schema.ts';
import { issueLine } from '../zod-messages.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Overrides from flags or environment: the daemon's own settings only. */
export interface ServerOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
}

export async function loadConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
}

/** Validate raw config data; errors name the field (`models.0.provider: ...`). */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const parsed = Config.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(`${source} is invalid:\n${describeIssues(parsed.error, raw)}`);
  const config = parsed.data;
  for (const [index, model] of config.models.entries()) {
    if (!config.providers[model.provider] && model.provider !== 'stub') {
      throw new ConfigError(
        `${source} is invalid:\n  models.${index}.provider: no provider named "${model.provider}" (known: ${Object.keys(config.providers).join(', ') || 'none'})`,
      );
    }
  }
  return config;
}

export function describeIssues(error: z.ZodError, input?: unknown): string {
  return error.issues.map((issue) => `  ${issueLine(issue, input)}`).join('\n');
}

export function applyOverrides(config: Config, overrides: ServerOverrides): Config {
  return {
    ...config,
    server: {
      ...config.server,
      ...(overrides.host !== undefined && { host: overrides.host }),
      ...(overrides.port !== undefined && { port: overrides.port }),
      ...(overrides.dataDir !== undefined && { data_dir: overrides.dataDir }),
    },
  };
}

/** Environment equivalents of the daemon flags. */
export function overridesFromEnv(env: NodeJS.ProcessEnv): ServerOverrides & { configPath?: string } {
  return {
    host: env.KIMAGING_HOST || undefined,
    port: env.KIMAGING_PORT ? parsePort(env.KIMAGING_PORT, 'KIMAGING_PORT') : undefined,
    dataDir: env.KIMAGING_DATA_DIR || undefined,
    configPath: env.KIMAGING_CONFIG || undefined,
  };
}

export function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ConfigError(`${name} must be a port number 0-65535, got "${value}"`);
  return port;
}

export async function resolveConfig(options: ServerOverrides & { configPath?: string }): Promise<Config> {
  const raw = options.configPath ? await loadConfigFile(options.configPath) : {};
  return applyOverrides(parseConfig(raw, options.configPath ?? 'config'), options);
}
