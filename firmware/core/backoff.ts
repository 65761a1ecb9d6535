/**
 * Reconnect delay: exponential from `baseMs` doubling to `maxMs`, with "full jitter" (a uniform
 * draw between half the step and the whole step) so a fleet does not return in lock-step.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, baseMs = 1000, maxMs = 60_000): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(step / 2 + random() * (step / 2));
}
