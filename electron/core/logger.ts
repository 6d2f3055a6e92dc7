/**
 * The relay's log: each host passes one in (the CLI's writes to the console, the desktop app's to
 * its log file, which redacts secrets), and each part logs through a child named for it. Parts
 * write messages, never secrets: a key or a token has no business in a line of the log.
 */
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** The same log, each line starting with `component: `. */
  child(component: string): Logger;
}

export function createLogger(write: (level: LogLevel, line: string) => void, prefix = ''): Logger {
  return {
    info: (message) => write('info', prefix + message),
    warn: (message) => write('warn', prefix + message),
    error: (message) => write('error', prefix + message),
    child: (component) => createLogger(write, `${prefix}${component}: `),
  };
}

/** The headless relay's log: standard output and standard error, where a service manager collects them. */
export function consoleLogger(): Logger {
  return createLogger((level, line) => (level === 'info' ? console.log(line) : level === 'warn' ? console.warn(line) : console.error(line)));
}
