/** The store the config asks for: the embedded SQLite file (default) or PostgreSQL for replicas. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from '../config/index.ts';
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export * from './types.ts';

export const SQLITE_FILE = 'koder-imaging.sqlite';

const sqlitePath = (config: Config) => join(config.server.data_dir, SQLITE_FILE);

/**
 * Where the store lives, if it has been made: readers (`keys list`) must not create one. A
 * PostgreSQL store always exists once configured (its tables are made on first connect).
 */
export function existingStore(config: Config): string | undefined {
  if (config.store.type === 'postgres') return `postgres schema ${config.store.schema}`;
  const path = sqlitePath(config);
  return existsSync(path) ? path : undefined;
}

/** The PostgreSQL URL from the variable `store.url_env` names (it carries the password, so never the config file). */
export function postgresUrl(config: Config, env: NodeJS.ProcessEnv): string {
  const url = env[config.store.url_env];
  if (!url) throw new ConfigError(`config is invalid:\n  store.url_env: the environment variable ${config.store.url_env} is not set (it holds the PostgreSQL URL)`);
  return url;
}

export async function openStore(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  if (config.store.type === 'sqlite') return openSqliteStore(sqlitePath(config));
  return openPostgresStore({ url: postgresUrl(config, env), schema: config.store.schema, poolSize: config.store.pool_size });
}
