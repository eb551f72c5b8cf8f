/** Starting and stopping the daemon: config from file, environment and flags; one line when ready. */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { ConfigError, overridesFromEnv, parsePort, resolveConfig, type Config } from '../config/index.ts';
import { createEngine, type Engine, type EngineOptions } from '../engine.ts';
import { isLoopback, OPEN_TENANT_ID } from '../policy/index.ts';
import { createLogger } from '../obs/log.ts';
import { createApp } from './app.ts';

export interface Daemon {
  url: string;
  engine: Engine;
  close(): Promise<void>;
}

export async function startDaemon(config: Config, options: EngineOptions = {}): Promise<Daemon> {
  // Open mode has no keys at all: anyone who can connect may generate. Only this machine may.
  if (config.tenants.length === 0) {
    if (!isLoopback(config.server.host)) {
      throw new ConfigError(
        `refusing to listen on ${config.server.host} with no tenants configured: open mode (no API keys) is loopback-only. Add tenants to the config and create keys with \`kimaging keys create\`, or listen on 127.0.0.1`,
      );
    }
    console.warn(`warning: no tenants configured; running open as tenant "${OPEN_TENANT_ID}" without API keys (loopback only)`);
  }
  const engine = await createEngine(config, { ...options, logger: options.logger ?? createLogger(config.log.level) });
  const app = createApp(engine);
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (error) {
    await engine.close(); // the port was taken: the store, workers and timers go with it
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return {
    url: `http://${host}:${port}`,
    engine,
    async close() {
      // Jobs end first: a client following a job's /events holds its connection until the job
      // is over, and server.close() waits for every connection.
      await engine.jobs.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
    },
  };
}

/**
 * The nsfwjs filter loads in the background for some seconds after start (the port answers at
 * once); say so, and say when it is ready, so a slow first image is never a silent stall.
 */
function announceImageFilter(engine: Engine): void {
  const classifier = engine.policy.imageClassifier;
  if (!classifier || classifier.state !== 'loading') return;
  const started = performance.now();
  const waitMs = engine.config.policy.safety.image.load_wait_ms;
  console.log(`image filter loading (nsfwjs); until it is ready a request with images to check waits up to ${waitMs} ms (GET /healthz shows image_filter)`);
  // Polled, and unref'd, so a load that never ends cannot keep a stopped daemon alive.
  const poll = setInterval(() => {
    if (classifier.state === 'loading') return;
    clearInterval(poll);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (classifier.state === 'ready') console.log(`image filter ready after ${seconds} s`);
    else console.error(`image filter failed to load after ${seconds} s; strict tenants get 429, moderate ones unchecked images with a warning`);
  }, 250).unref();
}

const DAEMON_USAGE = `usage: koder-imaging [--host H] [--port P] [--data-dir DIR] [--config FILE]

  --host H         address to listen on (default 127.0.0.1; env KIMAGING_HOST)
  --port P         port (default 8700; 0 picks a free one; env KIMAGING_PORT)
  --data-dir DIR   where data is kept (default ./data; env KIMAGING_DATA_DIR)
  --config FILE    YAML or JSON config (env KIMAGING_CONFIG)`;

/** The daemon's command line: `npm start -- --port 9000`, `koder-imaging`, `kimaging serve`. */
export async function runDaemon(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${DAEMON_USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(DAEMON_USAGE);
    return 0;
  }
  let daemon: Daemon;
  try {
    const fromEnv = overridesFromEnv(env);
    const config = await resolveConfig({
      configPath: flags.config ?? fromEnv.configPath,
      host: flags.host ?? fromEnv.host,
      port: flags.port !== undefined ? parsePort(flags.port, '--port') : fromEnv.port,
      dataDir: flags['data-dir'] ?? fromEnv.dataDir,
    });
    daemon = await startDaemon(config, { env });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      console.error(`cannot listen: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
  console.log(`listening on ${daemon.url}`);
  announceImageFilter(daemon.engine);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await daemon.close();
  return 0;
}
