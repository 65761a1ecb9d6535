import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from '../helpers/box-process.js';

/**
 * A guest booted by `scripts/qemu-boot-box --control`: its console is qemu's stdio, and each line
 * written to it runs in the guest with `sh -c`. Commands end with a marker carrying their exit
 * status, so the test waits for the guest's answer, never for a time.
 */
export class GuestVm {
  private text = '';
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  private exited = false;
  private ids = 0;

  private constructor(private readonly proc: ChildProcess) {
    const take = (d: Buffer) => {
      this.text += d.toString('utf8').replace(/\r/g, '');
      this.waiters = this.waiters.filter((w) => {
        const m = w.re.exec(this.text.slice(w.from));
        if (!m) return true;
        w.resolve(m);
        return false;
      });
    };
    proc.stdout!.on('data', take);
    proc.stderr!.on('data', take);
    proc.once('exit', (code) => {
      this.exited = true;
      this.text += `\n[qemu-boot-box exited with ${code}]\n`;
    });
  }

  static boot(args: string[]): GuestVm {
    return new GuestVm(spawn('scripts/qemu-boot-box', [...args, '--control'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Everything the console printed so far (boot, commands, markers). */
  get console(): string {
    return this.text;
  }

  /** Resolves with the first match of `re` in the console output after offset `from`. */
  waitFor(re: RegExp, timeoutMs: number, what: string, from = 0): Promise<RegExpExecArray> {
    const seen = re.exec(this.text.slice(from));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${this.exited ? ' (qemu has exited)' : ''}; console ends:\n${this.text.slice(-3000)}`));
      }, timeoutMs);
      const done = (m: RegExpExecArray) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ re, from, resolve: done });
    });
  }

  /** Where the next output will start: pass to waitFor to match only what comes after now. */
  get mark(): number {
    return this.text.length;
  }

  /** Runs one shell line in the guest; resolves with its exit status and what it printed. */
  async sh(line: string, timeoutMs = 60_000): Promise<{ code: number; out: string }> {
    if (line.includes('\n')) throw new Error('one line at a time');
    const id = ++this.ids;
    const from = this.mark;
    this.proc.stdin!.write(`{ ${line} ; } 2>&1; echo "@@${id}:$?"\n`);
    const m = await this.waitFor(new RegExp(`@@${id}:(\\d+)\\n`), timeoutMs, `the guest to finish: ${line}`, from);
    const out = this.text.slice(from, from + m.index);
    return { code: Number(m[1]), out };
  }

  /** Like sh, but a non-zero exit status is an error that shows the output. */
  async ok(line: string, timeoutMs = 60_000): Promise<string> {
    const r = await this.sh(line, timeoutMs);
    if (r.code !== 0) throw new Error(`guest: '${line}' exited ${r.code}:\n${r.out}`);
    return r.out;
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const hard = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(hard);
  }
}
