import { UserError } from '../core/errors.js';

/** An update refused or broken off, with the one message the user sees (console, P/response, update_failed). */
export class UpdateError extends UserError {}
