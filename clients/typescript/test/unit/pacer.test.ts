import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Pacer } from '@mentra/livekit-bridge-client';
import { sleep, waitFor } from '../support/wait.js';

const FRAME = 3200; // 100 ms of 16 kHz mono PCM16

/** A 100 ms chunk whose bytes all equal `seq` (so order and identity can be checked). */
function chunk(seq: number, bytes = FRAME): Buffer {
  return Buffer.alloc(bytes, seq & 0xff);
}

async function sleepUntil(target: number): Promise<void> {
  const delay = target - performance.now();
  if (delay > 0) await sleep(delay);
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: simulates a consumer or event loop that is blocked
  }
}

function summary(values: number[]): { max: number; mean: number; p95: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
  return { max: sorted.at(-1) ?? 0, mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), p95 };
}

test('bursts of 4 chunks every 400 ms come out as one chunk every 100 ms (jitter < 10 ms)', async (t) => {
  const emitted: { at: number; frame: Buffer }[] = [];
  const pacer = new Pacer({ sink: (frame) => emitted.push({ at: performance.now(), frame }) });
  const bursts = 10;
  const start = performance.now();
  for (let b = 0; b < bursts; b++) {
    await sleepUntil(start + b * 400); // the producer keeps its own absolute schedule
    for (let c = 0; c < 4; c++) pacer.push(chunk(b * 4 + c));
  }
  await waitFor('all frames', () => emitted.length === bursts * 4, 3000);
  pacer.dispose();

  assert.deepEqual(
    emitted.map((e) => e.frame[0]),
    Array.from({ length: bursts * 4 }, (_, i) => i),
    'frames come out whole and in order',
  );
  assert.ok(emitted.every((e) => e.frame.length === FRAME));
  const times = emitted.map((e) => e.at);
  const intervalJitter = times.slice(1).map((at, i) => Math.abs(at - (times[i] as number) - 100));
  const first = times[0] as number;
  const gridDeviation = times.map((at, i) => Math.abs(at - (first + i * 100)));
  const j = summary(intervalJitter);
  const g = summary(gridDeviation);
  const line =
    `pacer jitter over ${times.length} frames: |interval-100ms| max ${j.max.toFixed(2)} ms, ` +
    `mean ${j.mean.toFixed(2)} ms, p95 ${j.p95.toFixed(2)} ms; ` +
    `deviation from first+k*100ms max ${g.max.toFixed(2)} ms; dropped ${pacer.stats.dropped}, underruns ${pacer.stats.underruns}`;
  t.diagnostic(line);
  console.log(line);
  assert.ok(j.max < 10, `interval jitter ${j.max.toFixed(2)} ms must be < 10 ms`);
  assert.ok(g.max < 10, `deviation from the 100 ms grid ${g.max.toFixed(2)} ms must be < 10 ms`);
  assert.equal(pacer.stats.dropped, 0);
});

test('the schedule is absolute: a slow consumer does not make the cadence drift', async (t) => {
  const times: number[] = [];
  const pacer = new Pacer({
    sink: () => {
      times.push(performance.now());
      busyWait(30); // each delivery costs 30 ms; a relative timer would drift 30 ms per frame
    },
  });
  for (let i = 0; i < 12; i++) pacer.push(chunk(i));
  await waitFor('12 frames', () => times.length === 12, 3000);
  pacer.dispose();
  const first = times[0] as number;
  const deviation = Math.max(...times.map((at, i) => Math.abs(at - (first + i * 100))));
  t.diagnostic(`max deviation from the grid with a 30 ms consumer: ${deviation.toFixed(2)} ms`);
  assert.ok(deviation < 10, `deviation ${deviation.toFixed(2)} ms`);
});

test('after a stall longer than a frame the clock re-anchors instead of bursting', async () => {
  const times: number[] = [];
  const pacer = new Pacer({
    sink: () => {
      times.push(performance.now());
      if (times.length === 3) busyWait(250);
    },
  });
  for (let i = 0; i < 6; i++) pacer.push(chunk(i));
  await waitFor('6 frames', () => times.length === 6, 3000);
  pacer.dispose();
  const intervals = times.slice(1).map((at, i) => at - (times[i] as number));
  assert.ok(intervals.every((d) => d >= 90), `no catch-up burst: intervals ${intervals.map((d) => d.toFixed(1)).join(', ')}`);
  assert.equal(pacer.stats.restarts, 2);
});

test('odd-sized pushes are cut into exact frames; flush() pads the rest with silence', async () => {
  const frames: Buffer[] = [];
  const pacer = new Pacer({ frameBytes: 320, intervalMs: 5, sink: (f) => frames.push(f) });
  const input = Buffer.alloc(320 * 3 + 100);
  for (let i = 0; i < input.length; i++) input[i] = (i * 7) & 0xff;
  for (let offset = 0; offset < input.length; offset += 77) pacer.push(input.subarray(offset, offset + 77));
  assert.equal(pacer.stats.queued, 3);
  assert.equal(pacer.stats.pendingBytes, 100);
  pacer.flush();
  await waitFor('4 frames', () => frames.length === 4);
  assert.ok(frames.every((f) => f.length === 320));
  assert.deepEqual(Buffer.concat(frames).subarray(0, input.length), input);
  assert.ok(frames[3]?.subarray(100).every((b) => b === 0));
  pacer.dispose();
});

test('the queue is bounded: nothing is dropped up to the bound, the oldest beyond it', async () => {
  const frames: number[] = [];
  const drops: number[] = [];
  const pacer = new Pacer({ intervalMs: 5, maxQueuedFrames: 5, sink: (f) => frames.push(f[0] as number) });
  pacer.on('drop', (frame, total) => drops.push((frame[0] as number) * 1000 + total));
  // Synchronous pushes: no tick can run in between, so the queue really holds all of them.
  for (let i = 0; i < 5; i++) pacer.push(chunk(i));
  assert.equal(pacer.stats.queued, 5);
  assert.equal(pacer.stats.dropped, 0, 'exactly at the bound: no drop');
  pacer.push(chunk(5));
  pacer.push(chunk(6));
  assert.equal(pacer.stats.dropped, 2);
  assert.equal(pacer.stats.queued, 5);
  assert.deepEqual(drops, [1, 1002], 'the two oldest frames were dropped, counted 1 and 2');
  await waitFor('5 frames', () => frames.length === 5);
  assert.deepEqual(frames, [2, 3, 4, 5, 6]);

  // Pushing at the pace of the output never drops.
  for (let i = 0; i < 20; i++) {
    pacer.push(chunk(100 + i));
    await sleep(6);
  }
  await waitFor('all paced frames', () => frames.length === 25);
  assert.equal(pacer.stats.dropped, 2);
  pacer.dispose();
});

test('frames() iterates the paced frames and ends on dispose(); no timer survives dispose()', async () => {
  const baseline = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const pacer = new Pacer({ intervalMs: 5 });
  const iterator = pacer.frames();
  for (let i = 0; i < 3; i++) pacer.push(chunk(i));
  const got: number[] = [];
  for await (const frame of iterator) {
    got.push(frame[0] as number);
    if (got.length === 3) break;
  }
  assert.deepEqual(got, [0, 1, 2]);
  const second = pacer.frames();
  for (let i = 0; i < 10; i++) pacer.push(chunk(i));
  assert.ok(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length > baseline, 'the clock runs');
  pacer.dispose();
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, baseline, 'no timer left');
  assert.deepEqual(await second.next(), { value: undefined, done: true });
  assert.throws(() => pacer.push(chunk(0)));
});

test('an idle pacer holds no timer (the process can exit)', async () => {
  const baseline = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const frames: Buffer[] = [];
  const pacer = new Pacer({ intervalMs: 5, sink: (f) => frames.push(f) });
  pacer.push(chunk(1));
  await waitFor('frame', () => frames.length === 1);
  await sleep(20); // the next tick finds nothing and the clock stops
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, baseline);
  assert.equal(pacer.stats.underruns, 1);
  pacer.dispose();
});
