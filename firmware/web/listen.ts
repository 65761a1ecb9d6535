import type { Server } from 'node:http';

/** The first socket systemd passes (sd_listen_fds): fd 3, when LISTEN_PID names this process. */
export function systemdSocketFd(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== pid) return undefined;
  const count = Number(env.LISTEN_FDS ?? 0);
  return count >= 1 ? 3 : undefined;
}

export type ListenTarget = { fd: number } | { host: string; port: number };

/** Where the box's page listens: the socket systemd passes in LISTEN_FDS, else ROOMBOX_HTTP (undefined: off). */
export function webTarget(http: ListenTarget | undefined, env: NodeJS.ProcessEnv): ListenTarget | undefined {
  const fd = systemdSocketFd(env);
  return fd !== undefined ? { fd } : http;
}

export function describeTarget(target: ListenTarget): string {
  return 'fd' in target ? `socket from systemd (fd ${target.fd})` : `${target.host}:${target.port}`;
}

/** Starts listening; resolves with the URL a person can open, rejects on EADDRINUSE and the like. */
export function listen(server: Server, target: ListenTarget): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr && typeof addr === 'object') {
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        const shown = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
        resolve(`http://${shown}:${addr.port}/`);
      } else resolve('http://localhost/');
    };
    if ('fd' in target) server.listen({ fd: target.fd }, done);
    else server.listen(target.port, target.host, done);
  });
}
