import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../firmware/core/backoff.js';

describe('reconnect backoff', { timeout: 60_000 }, () => {
  it('doubles from 1 s and is capped at 60 s', () => {
    const top = (n: number) => backoffDelay(n, () => 1);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 20].map(top), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });

  it('spreads a fleet: each delay is drawn between half the step and the step', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3));
    assert.ok(delays.every((d) => d >= 4000 && d <= 8000));
    assert.ok(new Set(delays).size > 50, 'delays should differ from box to box');
    assert.equal(backoffDelay(3, () => 0), 4000);
  });
});
