/**
 * A request the user got wrong (bad value, unknown target, refused while faulted): it changes
 * nothing, and each transport shows the message its own way (P/error, an `error:` console line).
 */
export class UserError extends Error {}
