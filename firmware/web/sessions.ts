import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'roombox_session';
const SESSION_TTL_MS = 12 * 3600_000;

/** Random session tokens kept in memory: a restart logs everyone out, which is fine for a box. */
export class Sessions {
  private readonly tokens = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  create(): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, this.now() + SESSION_TTL_MS);
    return token;
  }

  valid(token: string | undefined): boolean {
    if (!token) return false;
    const expires = this.tokens.get(token);
    if (expires === undefined) return false;
    if (expires < this.now()) {
      this.tokens.delete(token);
      return false;
    }
    return true;
  }

  end(token: string | undefined): void {
    if (token) this.tokens.delete(token);
  }

  cookie(token: string): string {
    return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
  }

  static clearCookie(): string {
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Failed logins per address: after `free` failures, each further attempt waits for a delay that
 * doubles up to `maxMs`. A success clears the address.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly free = 3,
    private readonly maxMs = 60_000,
  ) {}

  /** Milliseconds this address must still wait, 0 when it may try. */
  wait(address: string): number {
    const f = this.failures.get(address);
    return f ? Math.max(0, f.until - this.now()) : 0;
  }

  failed(address: string): void {
    const f = this.failures.get(address) ?? { count: 0, until: 0 };
    f.count++;
    f.until = f.count > this.free ? this.now() + Math.min(this.maxMs, 1000 * 2 ** (f.count - this.free - 1)) : 0;
    this.failures.set(address, f);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }
}
