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
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
  return { max: sorted.at(-1) ?? 0, mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), p95 };
}

/**
 * Jitter of emission times that should be `intervalMs` apart.
 * - rfc3550: the interarrival jitter of RFC 3550 (RTP) §6.4.1, J += (|D| − J)/16 with D the
 *   deviation of each spacing from the nominal one: the standard jitter figure for audio.
 * - interval: |spacing − interval| per frame (max, p95, mean).
 * - grid: |t_i − (t_0 + i·interval)| after removing the median offset (so the first frame's own
 *   timer latency does not count twice): drift shows up here as a growing error.
 */
function jitter(times: number[], intervalMs: number): { rfc3550: number; interval: ReturnType<typeof summary>; grid: ReturnType<typeof summary> } {
  const spacingErrors = times.slice(1).map((at, i) => Math.abs(at - (times[i] as number) - intervalMs));
  let rfc3550 = 0;
  for (const d of spacingErrors) rfc3550 += (d - rfc3550) / 16;
  const first = times[0] as number;
  const offsets = times.map((at, i) => at - (first + i * intervalMs));
  const median = [...offsets].sort((a, b) => a - b)[Math.floor(offsets.length / 2)] as number;
  return { rfc3550, interval: summary(spacingErrors), grid: summary(offsets.map((o) => Math.abs(o - median))) };
}

function describe(j: ReturnType<typeof jitter>): string {
  return (
    `RFC 3550 jitter ${j.rfc3550.toFixed(2)} ms; |interval-100ms| mean ${j.interval.mean.toFixed(2)}, p95 ${j.interval.p95.toFixed(2)}, ` +
    `max ${j.interval.max.toFixed(2)} ms; deviation from the 100 ms grid p95 ${j.grid.p95.toFixed(2)}, max ${j.grid.max.toFixed(2)} ms`
  );
}

/**
 * Asserts the jitter generously: the RFC 3550 figure < 15 ms, the 95th percentiles < 25 ms, the
 * worst frame < 80 ms. On an idle machine the figures are a few ms (printed above); on a loaded
 * 2-core machine the OS deschedules the process for tens of ms, which no timer can prevent (p95
 * 19 ms was seen with other test runs on the same cores). A pacer bug (a skipped tick, a drift, a
 * burst) shows up as >= 100 ms or as a growing grid error.
 */
function assertJitter(j: ReturnType<typeof jitter>): void {
  assert.ok(j.rfc3550 < 15, `RFC 3550 jitter ${j.rfc3550.toFixed(2)} ms must be < 15 ms`);
  assert.ok(j.interval.p95 < 25, `p95 interval jitter ${j.interval.p95.toFixed(2)} ms must be < 25 ms`);
  assert.ok(j.grid.p95 < 25, `p95 deviation from the grid ${j.grid.p95.toFixed(2)} ms must be < 25 ms`);
  assert.ok(j.interval.max < 80 && j.grid.max < 80, `worst frame ${j.interval.max.toFixed(2)} / ${j.grid.max.toFixed(2)} ms must be < 80 ms`);
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
  const j = jitter(times, 100);
  const line = `pacer: ${times.length} frames from ${bursts} bursts of 4: ${describe(j)}; dropped ${pacer.stats.dropped}, underruns ${pacer.stats.underruns}`;
  t.diagnostic(line);
  console.log(line);
  assertJitter(j);
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
  for (let i = 0; i < 25; i++) pacer.push(chunk(i));
  await waitFor('25 frames', () => times.length === 25, 5000);
  pacer.dispose();
  const j = jitter(times, 100);
  const line = `pacer with a 30 ms consumer: ${describe(j)}`;
  t.diagnostic(line);
  console.log(line);
  // A relative timer would drift 30 ms per frame: 720 ms by the last one.
  assertJitter(j);
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
  // A catch-up burst would put frames ~0 ms apart after the stall.
  assert.ok(intervals.every((d) => d >= 50), `no catch-up burst: intervals ${intervals.map((d) => d.toFixed(1)).join(', ')}`);
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

test('a stream sink that stalls, ends or throws: frames are skipped and counted, never buffered or thrown', async () => {
  // A stalled ASR stream: write() keeps answering false and nobody reads. Writing every frame
  // anyway grew its buffer without bound; writing after its end emitted an 'error' no one heard.
  const { Writable } = await import('node:stream');
  const taken: Buffer[] = [];
  let stalled = false;
  const stream = new Writable({
    highWaterMark: FRAME * 2,
    write(frame: Buffer, _encoding, done) {
      taken.push(frame);
      if (!stalled) done(); // once stalled, the callback never comes: nothing drains
    },
  });
  const pacer = new Pacer({ intervalMs: 5, sink: stream });
  for (let i = 0; i < 4; i++) pacer.push(chunk(i));
  await waitFor('4 frames taken', () => taken.length === 4);
  stalled = true;
  for (let i = 4; i < 24; i++) pacer.push(chunk(i));
  await waitFor('20 more frames emitted', () => pacer.stats.emitted === 24, 3000);
  assert.ok(stream.writableLength <= FRAME * 3, `the stalled stream holds ${stream.writableLength} bytes`);
  assert.ok(pacer.stats.sinkSkipped >= 17, `skipped ${pacer.stats.sinkSkipped}`);

  const ended = new Writable({ write: (_f, _e, done) => done() });
  ended.end();
  const afterEnd = new Pacer({ intervalMs: 5, sink: ended });
  afterEnd.push(chunk(1));
  await waitFor('emitted', () => afterEnd.stats.emitted === 1);
  assert.equal(afterEnd.stats.sinkSkipped, 1);

  const throwing = new Pacer({ intervalMs: 5, sink: () => { throw new Error('sink bug'); } });
  const events: Buffer[] = [];
  throwing.on('frame', (f) => events.push(f));
  throwing.push(chunk(1));
  throwing.push(chunk(2));
  await waitFor('both frames still emitted as events', () => events.length === 2);
  assert.equal(throwing.stats.sinkSkipped, 2);
  for (const p of [pacer, afterEnd, throwing]) p.dispose();
  stream.destroy();
});
