/**
 * A bounded push queue read as an async iterator. When full, the oldest item is dropped and
 * counted. Nothing in it keeps the event loop alive.
 */
export class BoundedAsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly limit: number;
  #items: T[] = [];
  #waiter: ((result: IteratorResult<T, undefined>) => void) | undefined;
  #failer: ((error: unknown) => void) | undefined;
  #ended = false;
  #error: unknown = undefined;
  #hasError = false;
  #dropped = 0;
  readonly #onReturn: (() => void) | undefined;

  constructor(limit: number, onReturn?: () => void) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`queue limit must be an integer >= 1, got ${limit}`);
    this.limit = limit;
    this.#onReturn = onReturn;
  }

  /** Items dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Adds an item; returns false when that dropped the oldest one. */
  push(item: T): boolean {
    if (this.#ended) return true;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#failer = undefined;
      waiter({ value: item, done: false });
      return true;
    }
    this.#items.push(item);
    if (this.#items.length > this.limit) {
      this.#items.shift();
      this.#dropped += 1;
      return false;
    }
    return true;
  }

  /** Ends the iteration after the queued items (with `error` thrown at the end, if given). */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) {
      this.#error = error;
      this.#hasError = true;
    }
    const waiter = this.#waiter;
    const failer = this.#failer;
    this.#waiter = undefined;
    this.#failer = undefined;
    if (waiter !== undefined && failer !== undefined) {
      if (this.#hasError) failer(this.#error);
      else waiter({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#items.length > 0) {
      return Promise.resolve({ value: this.#items.shift() as T, done: false });
    }
    if (this.#ended) {
      if (this.#hasError) {
        this.#hasError = false;
        return Promise.reject(this.#error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error('next() called again before the previous call settled'));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failer = reject;
    });
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#items = [];
    this.#hasError = false;
    this.end();
    this.#onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
