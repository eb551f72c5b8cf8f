/** The checkpoint thread of sqlite-checkpoint.ts: its own connection, a PASSIVE checkpoint per message. */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database((workerData as { data: { path: string } }).data.path);

parentPort!.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'close') {
    db.close();
    process.exit(0);
  }
  db.pragma('wal_checkpoint(PASSIVE)');
});
