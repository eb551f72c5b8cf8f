/** The store the config asks for. Only the embedded one exists so far; PostgreSQL/Redis follow. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export * from './types.ts';

export const SQLITE_FILE = 'koder-imaging.sqlite';

const sqlitePath = (config: Config) => join(config.server.data_dir, SQLITE_FILE);

/** Where the store lives, if it has been made: readers (`keys list`) must not create one. */
export function existingStore(config: Config): string | undefined {
  const path = sqlitePath(config);
  return existsSync(path) ? path : undefined;
}

export function openStore(config: Config): Store {
  return openSqliteStore(sqlitePath(config));
}
