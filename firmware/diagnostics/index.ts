import type { BoxContext } from '../context.js';
import { registerDiagnostics } from './commands.js';
import { routeRequests } from './request.js';

/** Diagnostics: the box commands and P/request (the console, their other door, is an extension of its own). */
export function installDiagnostics(ctx: BoxContext): void {
  registerDiagnostics(ctx, ctx.clock.now());
  routeRequests(ctx);
}
