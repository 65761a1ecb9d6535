import { hashPassword } from '../config/password-hash.js';

/** Reads one password from standard input; on a terminal, without echoing it. */
function readPassword(input: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const tty = input.isTTY === true;
    if (tty) {
      prompt.write('Password: ');
      input.setRawMode(true);
    }
    input.setEncoding('utf8');
    const finish = (ok: boolean) => {
      input.off('data', onData);
      input.off('end', onEnd);
      if (tty) {
        input.setRawMode(false);
        prompt.write('\n');
      }
      input.pause();
      if (ok) resolve(text.replace(/\r?\n$/, ''));
      else reject(new Error('cancelled'));
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (tty && ch === '\u0003') return finish(false);
        if (tty && (ch === '\r' || ch === '\n')) return finish(true);
        if (tty && (ch === '\u007f' || ch === '\b')) text = text.slice(0, -1);
        else text += ch;
      }
      if (!tty && text.includes('\n')) {
        text = text.slice(0, text.indexOf('\n'));
        finish(true);
      }
    };
    const onEnd = () => finish(true);
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

/** `roombox passwd`: prints the line to store in ROOMBOX_HTTP_PASSWORD_FILE. */
export async function passwd(): Promise<number> {
  let password: string;
  try {
    password = await readPassword(process.stdin, process.stderr);
  } catch {
    return 1;
  }
  if (password.length < 8) {
    process.stderr.write('roombox passwd: the password needs at least 8 characters; nothing printed\n');
    return 1;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  process.stderr.write('Store this line in a file readable by the service (for example /etc/roombox/http-password, mode 0640) and set ROOMBOX_HTTP_PASSWORD_FILE to its path.\n');
  return 0;
}
