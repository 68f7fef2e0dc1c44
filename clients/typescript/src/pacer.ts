import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { BoundedAsyncQueue } from './async-queue.js';

/** Where paced frames go: a function, or anything with `write(frame)` (a Node Writable, an ASR stream). */
export type PacerSink = ((frame: Buffer) => void) | { write(frame: Buffer): unknown };

export interface PacerOptions {
  /** Bytes per frame. Default 3200: 100 ms of 16 kHz mono PCM16. */
  frameBytes?: number;
  /** Time between frames. Default 100 ms. */
  intervalMs?: number;
  /** Complete frames waiting to go out; beyond it the oldest is dropped. Default 50 (5 s). */
  maxQueuedFrames?: number;
  /** Receives each frame on the cadence (in addition to 'frame' events and frames()). */
  sink?: PacerSink;
  /** Clock in ms (monotonic). Default performance.now. */
  now?: () => number;
}

export interface PacerStats {
  /** Frames handed out. */
  emitted: number;
  /** Frames dropped because the queue was full. */
  dropped: number;
  /** Complete frames waiting. */
  queued: number;
  /** Bytes waiting to complete the next frame. */
  pendingBytes: number;
  /** Ticks that found no frame (the clock then idles until the next frame). */
  underruns: number;
  /** Times the clock was (re)started: at the first frame, after an underrun, or after a stall. */
  restarts: number;
  /**
   * Frames the sink did not take: a stream sink still asking for 'drain' (a stalled consumer must
   * not buffer without bound), ended or destroyed, or a sink that threw.
   */
  sinkSkipped: number;
}

export type PacerEvents = {
  frame: [frame: Buffer];
  drop: [dropped: Buffer, totalDropped: number];
};

/**
 * Turns bursty PCM into fixed-size frames on a steady cadence.
 *
 * `push()` appends bytes; complete frames wait in a bounded queue (drop-oldest, counted). The
 * first frame goes out at once; the next ones at anchor + k·interval on an absolute monotonic
 * clock, so timer lateness never accumulates. When a tick finds the queue empty the clock stops
 * (no timer while idle) and restarts with the next frame; when the process stalls for more
 * than one interval it re-anchors rather than bursting to catch up.
 *
 * Frames are delivered to `sink`, as 'frame' events, and to every `frames()` iterator.
 */
export class Pacer extends EventEmitter<PacerEvents> {
  readonly frameBytes: number;
  readonly intervalMs: number;
  readonly maxQueuedFrames: number;
  readonly #sink: PacerSink | undefined;
  readonly #now: () => number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #queue: Buffer[] = [];
  #timer: NodeJS.Timeout | undefined;
  #anchor = 0;
  #tick = 0;
  #disposed = false;
  #iterators = new Set<BoundedAsyncQueue<Buffer>>();
  #stats = { emitted: 0, dropped: 0, underruns: 0, restarts: 0, sinkSkipped: 0 };

  constructor(options: PacerOptions = {}) {
    super();
    this.frameBytes = options.frameBytes ?? 3200;
    this.intervalMs = options.intervalMs ?? 100;
    this.maxQueuedFrames = options.maxQueuedFrames ?? 50;
    if (!Number.isInteger(this.frameBytes) || this.frameBytes < 1) throw new RangeError(`frameBytes must be an integer >= 1, got ${this.frameBytes}`);
    if (!(this.intervalMs > 0) || !Number.isFinite(this.intervalMs)) throw new RangeError(`intervalMs must be > 0, got ${this.intervalMs}`);
    if (!Number.isInteger(this.maxQueuedFrames) || this.maxQueuedFrames < 1) throw new RangeError(`maxQueuedFrames must be an integer >= 1, got ${this.maxQueuedFrames}`);
    this.#sink = options.sink;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Appends PCM bytes of any size. Throws after dispose(). */
  push(data: Buffer | Uint8Array): void {
    if (this.#disposed) throw new Error('Pacer.push() after dispose()');
    if (data.length === 0) return;
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    while (this.#pendingBytes >= this.frameBytes) {
      this.#enqueue(this.#take(this.frameBytes));
    }
  }

  /** Queues the incomplete frame, padded with zeros (silence), if there is one. */
  flush(): void {
    if (this.#disposed || this.#pendingBytes === 0) return;
    const frame = Buffer.alloc(this.frameBytes);
    this.#take(this.#pendingBytes).copy(frame);
    this.#enqueue(frame);
  }

  /** Drops queued frames and pending bytes without counting them as drops; the clock idles. */
  clear(): void {
    this.#queue = [];
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#stopClock();
  }

  get stats(): PacerStats {
    return { ...this.#stats, queued: this.#queue.length, pendingBytes: this.#pendingBytes };
  }

  /** An async iterator over the paced frames (bounded like the pacer's own queue). */
  frames(): AsyncIterableIterator<Buffer> {
    const queue: BoundedAsyncQueue<Buffer> = new BoundedAsyncQueue<Buffer>(this.maxQueuedFrames, () => {
      this.#iterators.delete(queue);
    });
    if (this.#disposed) queue.end();
    else this.#iterators.add(queue);
    return queue;
  }

  /** Stops the clock, drops everything, ends iterators. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.clear();
    for (const it of this.#iterators) it.end();
    this.#iterators.clear();
    this.removeAllListeners();
  }

  #take(n: number): Buffer {
    const all = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending, this.#pendingBytes);
    const out = Buffer.from(all.subarray(0, n)); // copy: never alias the caller's buffer
    const rest = all.subarray(n);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return out;
  }

  #enqueue(frame: Buffer): void {
    this.#queue.push(frame);
    if (this.#queue.length > this.maxQueuedFrames) {
      const dropped = this.#queue.shift() as Buffer;
      this.#stats.dropped += 1;
      this.emit('drop', dropped, this.#stats.dropped);
    }
    if (this.#timer === undefined) this.#startClock();
  }

  #startClock(): void {
    this.#stats.restarts += 1;
    this.#anchor = this.#now();
    this.#tick = 0;
    this.#schedule();
  }

  #stopClock(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const target = this.#anchor + this.#tick * this.intervalMs;
    const delay = Math.max(0, target - this.#now());
    this.#timer = setTimeout(this.#onTick, delay);
  }

  readonly #onTick = (): void => {
    this.#timer = undefined;
    const frame = this.#queue.shift();
    if (frame === undefined) {
      this.#stats.underruns += 1;
      return; // idle until the next frame
    }
    const late = this.#now() - (this.#anchor + this.#tick * this.intervalMs);
    if (late > this.intervalMs) {
      // Stalled for more than a frame: re-anchor instead of bursting the backlog out.
      this.#stats.restarts += 1;
      this.#anchor = this.#now();
      this.#tick = 0;
    }
    this.#tick += 1;
    this.#schedule();
    this.#stats.emitted += 1;
    this.#deliver(frame);
  };

  #deliver(frame: Buffer): void {
    const sink = this.#sink;
    if (sink !== undefined) {
      // On a timer: whatever the sink does must not end the host process or grow without bound.
      try {
        if (typeof sink === 'function') sink(frame);
        else if (streamCannotTake(sink)) this.#stats.sinkSkipped += 1;
        else sink.write(frame);
      } catch {
        this.#stats.sinkSkipped += 1;
      }
    }
    this.emit('frame', frame);
    for (const it of this.#iterators) it.push(frame);
  }
}

/** A Node stream sink that is ended, destroyed, or over its buffer and waiting for 'drain'. */
function streamCannotTake(sink: { write(frame: Buffer): unknown }): boolean {
  const stream = sink as { writableNeedDrain?: boolean; writableEnded?: boolean; destroyed?: boolean };
  return stream.writableNeedDrain === true || stream.writableEnded === true || stream.destroyed === true;
}
