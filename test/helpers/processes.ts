/** Child processes for tests that need the real daemon and CLI binaries. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(bin: 'kimaging' | 'koder-imaging', args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/${bin}.js`, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, KIMAGING_URL: '', KIMAGING_API_KEY: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface DaemonProcess {
  url: string;
  child: ChildProcess;
  /** Everything the daemon printed so far (stdout and stderr). */
  output: () => string;
  /** What it printed on stdout alone. */
  stdout: () => string;
  stop(): Promise<void>;
}

/** Start the daemon on a free port and wait for its `listening on` line. */
export function startDaemonProcess(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/koder-imaging.js`, '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let output = '';
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon did not start: ${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /^listening on (http:\/\/\S+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          child,
          output: () => output,
          stdout: () => stdout,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk;
      onData(chunk);
    });
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}: ${output}`));
    });
  });
}
