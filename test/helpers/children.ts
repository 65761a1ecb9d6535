import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { atFileEnd } from './file-guard.js';

/**
 * Every process a test starts (box, mosquitto, socat, players) dies with the test file, however it
 * ends: the kernel kills it when the file's process dies (`setpriv --pdeathsig`, even on SIGKILL),
 * and when its last test is done, on exit, SIGTERM or SIGINT the file kills what is still running.
 */
const running = new Set<ChildProcess>();

export function spawnChild(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], options);
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  proc.once('error', () => running.delete(proc));
  return proc;
}

function killAll(): void {
  for (const proc of running) {
    try {
      proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
}

atFileEnd(killAll);
process.once('exit', killAll);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    // Our listener is gone: the signal's default action ends the file as it would have.
    process.kill(process.pid, signal);
  });
}
