import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeDurably } from './durable-file.js';

export type RebootKind = 'tryboot' | 'normal';

const run = promisify(execFile);

/**
 * Asks for a reboot. On the device the firmware (an unprivileged user) writes `tryboot` or
 * `normal` to the reboot-request file; the root-owned roombox-reboot.path unit sees it and runs
 * systemctl reboot. ROOMBOX_UPDATE_REBOOT_CMD replaces that (tests, a busybox init): the kind is
 * appended as its last argument.
 */
export async function requestReboot(kind: RebootKind, how: { command?: readonly string[]; requestFile: string }): Promise<void> {
  if (!how.command) return writeDurably(how.requestFile, `${kind}\n`);
  const [file, ...args] = how.command;
  await run(file!, [...args, kind], { timeout: 30_000 });
}
