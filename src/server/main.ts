/** `npm start` and the `koder-imaging` bin. */
import { runDaemon } from './daemon.ts';

process.exitCode = await runDaemon(process.argv.slice(2));
