import type { BoxContext } from '../context.js';
import type { Extension } from '../core/extension.js';
import { BoxFeed } from './box-adapter.js';
import type { ListenTarget } from './listen.js';
import { WebServer } from './server.js';

/** The box's web page on `target` (listen.ts's webTarget: ROOMBOX_HTTP, or the socket systemd passes). */
export function createWebExtensions(ctx: BoxContext, target: ListenTarget): Extension[] {
  return [new BoxWeb(ctx, target)];
}

export class BoxWeb implements Extension {
  readonly name = 'web';
  readonly feed: BoxFeed;
  server?: WebServer;

  constructor(
    private readonly ctx: BoxContext,
    private readonly target: ListenTarget,
  ) {
    this.feed = new BoxFeed(ctx);
  }

  async start(): Promise<void> {
    this.feed.start();
    this.server = new WebServer({ feed: this.feed, target: this.target, passwordHash: this.ctx.config.httpPasswordHash, log: this.ctx.log });
    try {
      await this.server.start();
    } catch (err) {
      // The page is a convenience: a busy port costs the page, never the amps or the reports.
      this.ctx.log.error({ err: (err as Error).message }, 'web page not started');
      this.server = undefined;
    }
  }

  async stop(): Promise<void> {
    this.feed.stop();
    await this.server?.stop();
  }
}
