/**
 * `roombox console <device> [--baud N]`: a laptop's terminal attached to a box's UART in raw
 * mode, 8N1; Ctrl-] detaches. Exit codes: 0 detached, 1 the device is missing or busy.
 */
export async function attachConsole(args: string[]): Promise<number> {
  const device = args[0];
  const baudArg = args.indexOf('--baud');
  const baud = baudArg >= 0 ? Number(args[baudArg + 1]) : 115200;
  if (!device || device.startsWith('--') || !Number.isInteger(baud) || baud <= 0) {
    process.stderr.write('usage: roombox console <device> [--baud N]\n');
    return 78;
  }
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path: device, baudRate: baud, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
  port.on('error', (err) => process.stderr.write(`roombox console: ${err.message}\r\n`));
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    const msg = (err as Error).message;
    const why = /ENOENT|No such file/.test(msg) ? 'no such device' : /EBUSY|lock|busy/i.test(msg) ? 'device busy (another program has it open)' : /EACCES|Permission/.test(msg) ? 'permission denied (add yourself to the dialout group)' : msg;
    process.stderr.write(`roombox console: cannot open ${device}: ${why}\n`);
    return 1;
  }
  process.stderr.write(`roombox console: attached to ${device} at ${baud} 8N1; Ctrl-] detaches\r\n`);
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.resume();
  return new Promise<number>((resolve) => {
    let finished = false;
    const done = (code: number) => {
      if (finished) return;
      finished = true;
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      if (port.isOpen) port.close(() => resolve(code));
      else resolve(code);
    };
    stdin.on('data', (chunk: Buffer) => {
      const stop = chunk.indexOf(0x1d);
      if (stop >= 0) {
        if (stop > 0) port.write(chunk.subarray(0, stop));
        process.stderr.write('\r\nroombox console: detached\r\n');
        return port.drain(() => done(0));
      }
      port.write(chunk);
    });
    stdin.on('end', () => port.drain(() => done(0)));
    port.on('data', (d: Buffer) => process.stdout.write(d));
    port.on('close', () => {
      if (finished) return;
      process.stderr.write('\r\nroombox console: the device went away\r\n');
      done(1);
    });
  });
}
