import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Recent log lines kept in memory for the `log [n]` console command. */
export class LogRing {
  private readonly lines: string[] = [];
  private readonly errorListeners: ((message: string) => void)[] = [];
  /** The message of the last error or fatal line. */
  lastError?: string;
  constructor(private readonly capacity = 200) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
    if (line.includes('"level":"error"') || line.includes('"level":"fatal"')) this.noteError(line);
  }
  /** Called with the message of every error or fatal line. */
  onError(fn: (message: string) => void): void {
    this.errorListeners.push(fn);
  }
  private noteError(line: string): void {
    try {
      const { msg, err } = JSON.parse(line) as { msg?: string; err?: string };
      this.lastError = err ? `${msg}: ${err}` : (msg ?? line);
    } catch {
      this.lastError = line;
    }
    for (const fn of this.errorListeners) fn(this.lastError);
  }
  last(n: number): string[] {
    return this.lines.slice(-Math.max(0, n));
  }
}

/**
 * JSON lines on stdout (journald, pipes); on a terminal the same lines are shown readable.
 * Every line also lands in the ring as JSON. Secrets never reach a log call.
 */
export function createLogger(
  level: LevelWithSilent,
  ring: LogRing = new LogRing(),
  out: { write(chunk: string): unknown; isTTY?: boolean } = process.stdout,
): { logger: Logger; ring: LogRing } {
  const readable = out.isTTY === true;
  const stream = {
    write(chunk: string) {
      ring.push(chunk.trimEnd());
      out.write(readable ? readableLine(chunk) : chunk);
    },
  };
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return { logger, ring };
}

/** `12:00:01 WARN  message key=value` for a person at a terminal. */
export function readableLine(jsonLine: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, msg, ...rest } = rec;
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  return `${clock} ${String(level ?? '').toUpperCase().padEnd(5)} ${String(msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
}
