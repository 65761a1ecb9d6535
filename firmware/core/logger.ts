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

/** JSON lines on stdout; every line also lands in the ring. Secrets never reach a log call. */
export function createLogger(
  level: LevelWithSilent,
  ring: LogRing = new LogRing(),
  out: { write(chunk: string): unknown } = process.stdout,
): { logger: Logger; ring: LogRing } {
  const stream = {
    write(chunk: string) {
      ring.push(chunk.trimEnd());
      out.write(chunk);
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
