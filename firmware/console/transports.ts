import type { Sink } from './output-buffer.js';

export interface Transport {
  /** Echo typed characters (a terminal on a serial line or a TTY); not on a pipe. */
  echo: boolean;
  sink: Sink;
  onData(fn: (chunk: Buffer) => void): void;
  onClose(fn: () => void): void;
  close(): Promise<void>;
}

/** `stdio`, or a serial device path (8N1 at `baud`). */
export async function openTransport(target: string, baud: number): Promise<Transport> {
  return target === 'stdio' ? stdioTransport() : serialTransport(target, baud);
}

function stdioTransport(): Transport {
  const tty = process.stdin.isTTY === true;
  if (tty) process.stdin.setRawMode(true);
  process.stdin.resume();
  // On a terminal the console owns stdout's screen; the JSON log keeps flowing on stdout too.
  return {
    echo: tty,
    sink: {
      write: (data) => process.stdout.write(data),
      onDrain: (fn) => process.stdout.on('drain', fn),
    },
    onData: (fn) => process.stdin.on('data', fn),
    onClose: (fn) => process.stdin.on('end', fn),
    close: async () => {
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
    },
  };
}

async function serialTransport(path: string, baud: number): Promise<Transport> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate: baud, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let closed = false;
  return {
    echo: true,
    sink: {
      write: (data) => (closed ? true : port.write(data)),
      onDrain: (fn) => port.on('drain', fn),
    },
    onData: (fn) => port.on('data', fn),
    onClose: (fn) => {
      port.on('close', () => {
        closed = true;
        fn();
      });
      port.on('error', () => {
        if (!closed && !port.isOpen) {
          closed = true;
          fn();
        }
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
