import { Console } from '../console/console.js';
import type { BoxContext } from '../context.js';
import type { Extension } from '../core/extension.js';
import { registerDiagnostics } from './commands.js';
import { routeRequests } from './request.js';

/** Diagnostics: the box commands, P/request, and the console on serial or stdio. */
export function createDiagnosticsExtensions(ctx: BoxContext): Extension[] {
  registerDiagnostics(ctx, ctx.clock.now());
  routeRequests(ctx);
  return [new Console(ctx.config.console.target, ctx.config.console.baud, ctx.commands, ctx.clock, ctx.log)];
}
