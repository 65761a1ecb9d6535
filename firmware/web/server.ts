import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { verifyPassword } from '../config/password-hash.js';
import type { Logger } from '../core/logger.js';
import { isLiveOnly, type Feed, type WireMessage } from './feed.js';
import { describeTarget, listen, type ListenTarget } from './listen.js';
import { cookieValue, LoginThrottle, SESSION_COOKIE, Sessions } from './sessions.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';

export interface WebServerOptions {
  feed: Feed;
  target: ListenTarget;
  /** The `roombox passwd` line; undefined: read-only page, no login. */
  passwordHash?: string;
  log: Logger;
  /** Messages to one page are sent together at most this often (0: as they come). */
  batchMs?: number;
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
};
/** A page that cannot keep up stops getting meter values before it falls further behind. */
const SLOW_CLIENT_BYTES = 512 * 1024;
const MAX_BODY_BYTES = 4096;

/**
 * The web page: static UI, login, and one WebSocket per page carrying MQTT-shaped messages
 * (`{topic, payload}` both ways). The same server serves the box page and the dashboard; only
 * the feed differs.
 */
export class WebServer {
  readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly files: Map<string, StaticFile>;
  private readonly sessions = new Sessions();
  private readonly throttle = new LoginThrottle();
  private readonly clients = new Set<Client>();
  private unsubscribe?: () => void;
  url?: string;

  constructor(private readonly opts: WebServerOptions) {
    this.files = loadStaticFiles();
    this.server = createServer((req, res) => void this.handle(req, res).catch((err: Error) => this.fail(res, err)));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  get readOnly(): boolean {
    return this.opts.passwordHash === undefined;
  }

  async start(): Promise<string> {
    this.url = await listen(this.server, this.opts.target);
    this.opts.log.info({ url: this.url, listen: describeTarget(this.opts.target), read_only: this.readOnly }, `web page at ${this.url}`);
    return this.url;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/session' && req.method === 'GET') return this.json(res, 200, this.sessionInfo(req));
    if (path === '/api/login' && req.method === 'POST') return this.login(req, res);
    if (path === '/api/logout' && req.method === 'POST') {
      if (!this.sameOrigin(req)) return this.json(res, 403, { error: 'cross-origin request refused' });
      this.sessions.end(cookieValue(req.headers.cookie, SESSION_COOKIE));
      res.setHeader('Set-Cookie', Sessions.clearCookie());
      return this.json(res, 200, { ok: true });
    }
    const file = this.files.get(path);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return this.json(res, 404, { error: 'not found' });
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Type': file.type, ETag: file.etag, Vary: 'Accept-Encoding' };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip : file.body;
    if (gzip) headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private sessionInfo(req: IncomingMessage): Record<string, unknown> {
    if (this.readOnly) return { auth: 'read-only', hint: 'Set a password to control this page: run `roombox passwd`, store the line it prints in a file, and point ROOMBOX_HTTP_PASSWORD_FILE at it.' };
    return { auth: this.authorised(req) ? 'ok' : 'required' };
  }

  private authorised(req: IncomingMessage): boolean {
    return this.sessions.valid(cookieValue(req.headers.cookie, SESSION_COOKIE));
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.sameOrigin(req)) return this.json(res, 403, { error: 'cross-origin request refused' });
    if (this.readOnly) return this.json(res, 409, { error: 'no password is set: the page is read-only' });
    const address = req.socket.remoteAddress ?? '?';
    const wait = this.throttle.wait(address);
    if (wait > 0) {
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      return this.json(res, 429, { error: `too many failed logins: try again in ${Math.ceil(wait / 1000)} s` });
    }
    let password: unknown;
    try {
      password = (JSON.parse(await readBody(req)) as { password?: unknown }).password;
    } catch {
      return this.json(res, 400, { error: 'expected {"password": "..."}' });
    }
    if (typeof password !== 'string' || !(await verifyPassword(password, this.opts.passwordHash!))) {
      this.throttle.failed(address);
      this.opts.log.warn({ address }, 'web login refused');
      return this.json(res, 401, { error: 'wrong password' });
    }
    this.throttle.succeeded(address);
    res.setHeader('Set-Cookie', this.sessions.cookie(this.sessions.create()));
    this.opts.log.info({ address }, 'web login');
    return this.json(res, 200, { ok: true });
  }

  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin || !req.headers.host) return false;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if ((req.url ?? '').split('?')[0] !== '/ws') return refuse('404 Not Found');
    if (!this.sameOrigin(req)) return refuse('403 Forbidden');
    if (!this.readOnly && !this.authorised(req)) return refuse('401 Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
  }

  private connected(ws: WebSocket): void {
    const client = new Client(ws, this.opts.batchMs ?? 0);
    this.clients.add(client);
    const hello = { topic: '$web/hello', payload: { ...this.opts.feed.hello(), read_only: this.readOnly } };
    client.sendNow([hello, ...this.opts.feed.snapshot()].map((m) => JSON.stringify(m)));
    this.unsubscribe ??= this.opts.feed.subscribe((m) => this.broadcast(m));
    ws.on('message', (data) => void this.fromPage(client, data.toString()));
    ws.on('close', () => {
      this.clients.delete(client);
      client.dispose();
      if (this.clients.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = undefined;
      }
    });
    ws.on('error', () => ws.terminate());
  }

  private broadcast(m: WireMessage): void {
    const text = JSON.stringify(m);
    const live = isLiveOnly(m.topic);
    for (const c of this.clients) c.queue(text, live);
  }

  private async fromPage(client: Client, text: string): Promise<void> {
    const reply = (m: WireMessage) => client.queue(JSON.stringify(m), false);
    let m: WireMessage;
    try {
      const parsed = JSON.parse(text) as Partial<WireMessage>;
      if (typeof parsed.topic !== 'string' || !('payload' in parsed)) throw new Error('shape');
      m = { topic: parsed.topic, payload: parsed.payload };
    } catch {
      return reply({ topic: '$web/error', payload: { error: 'expected {"topic": "...", "payload": ...}' } });
    }
    if (this.readOnly) return reply({ topic: '$web/error', payload: { topic: m.topic, error: 'this page is read-only: no password is set' } });
    try {
      await this.opts.feed.send(m, reply);
    } catch (err) {
      reply({ topic: '$web/error', payload: { topic: m.topic, error: (err as Error).message } });
    }
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private fail(res: ServerResponse, err: Error): void {
    this.opts.log.error({ err: err.message }, 'web request failed');
    if (!res.headersSent) this.json(res, 500, { error: 'internal error' });
    else res.destroy();
  }
}

/** One open page: messages queue up and go out as one JSON array per batch. */
class Client {
  private pending: string[] = [];
  private timer?: NodeJS.Timeout | NodeJS.Immediate;

  constructor(
    readonly ws: WebSocket,
    private readonly batchMs: number,
  ) {}

  queue(text: string, liveOnly: boolean): void {
    if (liveOnly && this.ws.bufferedAmount > SLOW_CLIENT_BYTES) return;
    this.pending.push(text);
    if (this.timer) return;
    this.timer = this.batchMs > 0 ? setTimeout(() => this.flush(), this.batchMs) : setImmediate(() => this.flush());
  }

  sendNow(texts: string[]): void {
    this.ws.send(`[${texts.join(',')}]`);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pending.length === 0 || this.ws.readyState !== this.ws.OPEN) return;
    const texts = this.pending;
    this.pending = [];
    this.sendNow(texts);
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.pending = [];
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
