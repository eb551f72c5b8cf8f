/** The store the config asks for. Only the embedded one exists so far; PostgreSQL/Redis follow. */
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export * from './types.ts';

export const SQLITE_FILE = 'koder-imaging.sqlite';

export function openStore(config: Config): Store {
  return openSqliteStore(join(config.server.data_dir, SQLITE_FILE));
}
