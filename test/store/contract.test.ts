/** The one store contract, run on the embedded SQLite file and on PostgreSQL (a schema per test). */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from '../helpers/app.ts';
import { postgresMissing, testSchema } from '../helpers/postgres.ts';
import { storeContract } from './contract.ts';

storeContract('sqlite', () => {
  const dir = tempDir();
  return {
    open: async () => openSqliteStore(join(dir, 'store.sqlite')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

const missing = await postgresMissing();
if (missing) console.log(`# skipping the PostgreSQL store contract: ${missing}`);
storeContract(
  'postgres',
  () => {
    const schema = testSchema();
    return { open: () => openPostgresStore({ url: schema.url, schema: schema.schema }), cleanup: () => schema.drop() };
  },
  missing,
);
