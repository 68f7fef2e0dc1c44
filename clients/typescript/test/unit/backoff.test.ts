import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelay, resolveBackoffOptions } from '@mentra/livekit-bridge-client';

test('delays grow exponentially from initialDelayMs and stop at maxDelayMs', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0 };
  const delays = [1, 2, 3, 4, 5, 6, 50, 5000].map((attempt) => backoffDelay(attempt, options));
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
});

test('jitter spreads a delay over base·(1 ± jitter) and never exceeds maxDelayMs', () => {
  const options = { initialDelayMs: 1000, maxDelayMs: 5000, multiplier: 2, jitter: 0.25 };
  assert.equal(backoffDelay(1, options, () => 0), 750);
  assert.equal(backoffDelay(1, options, () => 0.5), 1000);
  assert.equal(backoffDelay(1, options, () => 0.999999), 1250);
  // At the cap the upward half of the jitter is cut off: bounded.
  assert.equal(backoffDelay(10, options, () => 0.999999), 5000);
  assert.equal(backoffDelay(10, options, () => 0), 3750);

  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < 2000; i++) {
    const d = backoffDelay(2, options);
    min = Math.min(min, d);
    max = Math.max(max, d);
  }
  assert.ok(min >= 1500 && max <= 2500, `delays of attempt 2 within [1500, 2500], got [${min}, ${max}]`);
  assert.ok(min < 1600 && max > 2400, `jitter actually spreads the delays, got [${min}, ${max}]`);
});

test('Backoff hands out attempts until maxAttempts, then undefined; reset() starts over', () => {
  const backoff = new Backoff({ initialDelayMs: 10, maxDelayMs: 40, jitter: 0, maxAttempts: 4 });
  assert.deepEqual([backoff.next(), backoff.next(), backoff.next(), backoff.next()], [10, 20, 40, 40]);
  assert.equal(backoff.attempt, 4);
  assert.equal(backoff.next(), undefined);
  backoff.reset();
  assert.equal(backoff.attempt, 0);
  assert.equal(backoff.next(), 10);
});

test('an unbounded Backoff keeps going at the cap', () => {
  const backoff = new Backoff({ initialDelayMs: 1, maxDelayMs: 8, jitter: 0 });
  const delays = Array.from({ length: 100 }, () => backoff.next());
  assert.equal(delays.at(-1), 8);
  assert.ok(delays.every((d) => d !== undefined && d <= 8));
});

test('nonsense options are rejected', () => {
  assert.throws(() => resolveBackoffOptions({ initialDelayMs: -1 }), RangeError);
  assert.throws(() => resolveBackoffOptions({ initialDelayMs: 0 }), /initialDelayMs must be a finite number >= 1/); // every delay 0: a spin
  assert.throws(() => resolveBackoffOptions({ initialDelayMs: 100, maxDelayMs: 50 }), RangeError);
  assert.throws(() => resolveBackoffOptions({ multiplier: 0.5 }), RangeError);
  assert.throws(() => resolveBackoffOptions({ jitter: 1.5 }), RangeError);
  assert.throws(() => resolveBackoffOptions({ maxAttempts: 0 }), RangeError);
  assert.throws(() => backoffDelay(0), RangeError);
  assert.deepEqual(resolveBackoffOptions({ initialDelayMs: 20_000 }).maxDelayMs, 20_000);
});
