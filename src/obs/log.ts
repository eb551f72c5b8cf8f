/**
 * Structured logs: one JSON object per line on stderr. Fields are data, never interpolated; the
 * caller decides what goes in, and two rules hold everywhere: prompts only at debug level (see
 * `promptFields`), keys never (nothing here reads headers).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line + '\n')): Logger {
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => (msg: string, fields: LogFields = {}) => {
    if (RANK[lineLevel] < RANK[level]) return;
    const entry: LogFields = { time: new Date().toISOString(), level: lineLevel, msg };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) entry[key] = value;
    write(JSON.stringify(entry));
  };
  return { level, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent', () => {});

/** The prompt goes into a line only when the logger is at debug level. */
export function promptFields(logger: Logger, prompt: string): LogFields {
  return logger.level === 'debug' ? { prompt } : { prompt_chars: prompt.length };
}
