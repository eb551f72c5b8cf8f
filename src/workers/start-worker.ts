/**
 * Starting a worker thread on a module of ours, from TypeScript sources (a clone, tests) or built
 * JavaScript alike. Worker threads do not inherit the parent's loader hooks on Node 20, so from
 * sources a small bootstrap imports the module through tsx's API; built JavaScript is imported as is.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(workerData.tsx ? import(workerData.tsx).then((api) => api.tsImport(workerData.entry, workerData.entry)) : import(workerData.entry))
  .catch((error) => { setImmediate(() => { throw error; }); });
`;

/**
 * `name` is the worker module's file name without extension, beside the module at `from`; the
 * module finds `data` as `workerData.data`.
 */
export function startWorker(from: string, name: string, data?: unknown): Worker {
  const ext = extname(fileURLToPath(from));
  const entry = new URL(`./${name}${ext}`, from).href;
  const tsx = ext === '.ts' ? import.meta.resolve('tsx/esm/api') : undefined;
  return new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsx, data } });
}
