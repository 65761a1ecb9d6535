import { UserError } from './errors.js';

/**
 * One registry of commands, served by every transport (serial console, stdio, MQTT P/request).
 * Extensions register their own commands; `help` is generated from the definitions.
 */
export interface CommandContext {
  /** The caller asked for `--json`: the transport prints `data` as one JSON line. */
  json: boolean;
  source: 'console' | 'mqtt' | 'test';
}

export interface CommandOutput {
  /** Human-readable text, may span lines. */
  text: string;
  /** Machine-readable form, printed as one JSON line with --json and sent as `data` on P/response. */
  data?: unknown;
}

export interface CommandDef {
  /** The words that select this command, e.g. ['zone'] or ['sim', 'play']. */
  words: string[];
  /** Argument synopsis after the words, e.g. '<zone> on|off'. */
  args?: string;
  summary: string;
  /** More lines of the same command for help, each with its own summary (a control's setting, say). */
  forms?: { args: string; summary: string }[];
  /** A read-only command changes nothing and accepts --json. */
  readOnly: boolean;
  run(args: string[], ctx: CommandContext): Promise<CommandOutput> | CommandOutput;
}

export interface CommandResult {
  ok: boolean;
  output: string;
  data?: unknown;
}

export const MAX_LINE_BYTES = 1024;

export class CommandRegistry {
  private readonly defs: CommandDef[] = [];

  register(def: CommandDef): void {
    const key = def.words.join(' ');
    if (this.defs.some((d) => d.words.join(' ') === key)) throw new Error(`command '${key}' registered twice`);
    this.defs.push(def);
  }

  list(): readonly CommandDef[] {
    return [...this.defs].sort((a, b) => a.words.join(' ').localeCompare(b.words.join(' ')));
  }

  /** The longest registered word sequence that prefixes `words`. */
  find(words: string[]): CommandDef | undefined {
    let best: CommandDef | undefined;
    for (const def of this.defs) {
      if (def.words.length > words.length) continue;
      if (def.words.every((w, i) => w === words[i]) && (!best || def.words.length > best.words.length)) best = def;
    }
    return best;
  }

  async execute(line: string, source: CommandContext['source']): Promise<CommandResult> {
    if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) {
      return { ok: false, output: `error: line longer than ${MAX_LINE_BYTES} bytes` };
    }
    const tokens = tokenize(line);
    const json = tokens.includes('--json');
    const words = tokens.filter((t) => t !== '--json');
    if (words.length === 0) return { ok: true, output: '' };
    const def = this.find(words.map((w) => w.toLowerCase()));
    if (!def) {
      const shown = words[0]!.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
      return { ok: false, output: `error: unknown command '${shown}' (try 'help')` };
    }
    if (json && !def.readOnly) {
      return { ok: false, output: `error: '${def.words.join(' ')}' changes the box and takes no --json` };
    }
    try {
      const out = await def.run(words.slice(def.words.length), { json, source });
      if (json) return { ok: true, output: JSON.stringify(out.data ?? { text: out.text }), data: out.data };
      return { ok: true, output: fit(out.text), data: out.data };
    } catch (err) {
      // A UserError is the user's to fix; anything else is ours, shown the same way.
      const msg = err instanceof UserError ? err.message : err instanceof Error ? err.message : String(err);
      const output = `error: ${msg}`;
      return json ? { ok: false, output: JSON.stringify({ error: msg }) } : { ok: false, output: fit(output) };
    }
  }

  usage(def: CommandDef): string {
    return [...def.words, ...(def.args ? [def.args] : [])].join(' ');
  }

  /** Help lines, each within `width` columns: the usage, then the summary beside it or wrapped below it. */
  help(defs: readonly CommandDef[], width = 80): string[] {
    const entries = defs.flatMap((d) => [
      { usage: this.usage(d), summary: d.summary },
      ...(d.forms ?? []).map((f) => ({ usage: `${d.words.join(' ')} ${f.args}`, summary: f.summary })),
    ]);
    const column = Math.min(28, Math.max(...entries.map((e) => e.usage.length)) + 2);
    return entries.flatMap((e) => {
      if (e.usage.length + 2 <= column) return wrap(e.summary, width - column).map((l, i) => (i === 0 ? e.usage.padEnd(column) : ' '.repeat(column)) + l);
      return [e.usage, ...wrap(e.summary, width - column).map((l) => ' '.repeat(column) + l)];
    });
  }
}

/** The console's width: a field engineer's serial terminal. */
export const COLUMNS = 80;

/** Fits every line of a command's text into COLUMNS, continuing a long line indented under its start. */
export function fit(text: string, width = COLUMNS): string {
  return text
    .split('\n')
    .flatMap((line) => {
      if ([...line].length <= width) return [line];
      const indent = ' '.repeat(Math.min(width / 2, (/^ */.exec(line)?.[0].length ?? 0) + 2));
      const [first, ...rest] = wrap(line.trimStart(), width - indent.length + 2);
      const lead = line.slice(0, line.length - line.trimStart().length);
      return [lead + first, ...wrap(rest.join(' '), width - indent.length).map((l) => indent + l)].filter((l) => l.trim().length > 0);
    })
    .join('\n');
}

/** Breaks text into lines of at most `width` characters at spaces; a longer word is cut. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const words = text.split(/\s+/).filter(Boolean).flatMap((w) => (w.length > width ? (w.match(new RegExp(`.{1,${width}}`, 'gu')) ?? [w]) : [w]));
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

export function tokenize(line: string): string[] {
  return line.trim().split(/\s+/).filter((t) => t.length > 0);
}
