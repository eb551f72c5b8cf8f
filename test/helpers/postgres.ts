/**
 * A PostgreSQL schema of its own for one test, on the local server (KIMAGING_TEST_PG_URL, else
 * postgres://root@127.0.0.1:5432/test). `drop()` removes it with everything in it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_PG_URL = process.env.KIMAGING_TEST_PG_URL || 'postgres://root@127.0.0.1:5432/test';

/** Why PostgreSQL tests cannot run here, or undefined when the server answers. */
export async function postgresMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL is not reachable at ${TEST_PG_URL.replace(/\/\/[^@/]*@/, '//')} (${(error as Error).message}); start it (.ci/run does)`;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestSchema {
  url: string;
  schema: string;
  /** One query on the schema (assertions that read the tables directly). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export function testSchema(): TestSchema {
  const schema = `kimg_test_${randomBytes(6).toString('hex')}`;
  const withClient = async <T>(body: (client: pg.Client) => Promise<T>) => {
    const client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return await body(client);
    } finally {
      await client.end();
    }
  };
  return {
    url: TEST_PG_URL,
    schema,
    query: (text, values) => withClient(async (client) => (await client.query(text, values)).rows),
    drop: () => withClient(async (client) => void (await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
  };
}
