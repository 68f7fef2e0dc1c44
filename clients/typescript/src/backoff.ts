/** Bounded exponential backoff with jitter. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 250 ms. */
  initialDelayMs?: number;
  /** Upper bound of every delay, jitter included. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Growth factor per attempt. Default 2. */
  multiplier?: number;
  /**
   * Relative jitter in [0, 1]: a delay is drawn uniformly from base·(1 ± jitter), then capped
   * at maxDelayMs. Default 0.2.
   */
  jitter?: number;
  /** Attempts before giving up (Infinity: never). Default Infinity. */
  maxAttempts?: number;
}

export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: 0.2,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/** Fills in defaults and checks the values; throws RangeError on nonsense. */
export function resolveBackoffOptions(options: BackoffOptions = {}): Required<BackoffOptions> {
  const resolved: Required<BackoffOptions> = {
    initialDelayMs: options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs,
    maxDelayMs: options.maxDelayMs ?? Math.max(DEFAULT_BACKOFF.maxDelayMs, options.initialDelayMs ?? 0),
    multiplier: options.multiplier ?? DEFAULT_BACKOFF.multiplier,
    jitter: options.jitter ?? DEFAULT_BACKOFF.jitter,
    maxAttempts: options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts,
  };
  // At least 1 ms: with 0 every delay is 0, and re-joins against a bridge that is down would spin.
  if (!(resolved.initialDelayMs >= 1) || !Number.isFinite(resolved.initialDelayMs)) {
    throw new RangeError(`initialDelayMs must be a finite number >= 1, got ${resolved.initialDelayMs}`);
  }
  if (!(resolved.maxDelayMs >= resolved.initialDelayMs) || !Number.isFinite(resolved.maxDelayMs)) {
    throw new RangeError(`maxDelayMs must be finite and >= initialDelayMs, got ${resolved.maxDelayMs}`);
  }
  if (!(resolved.multiplier >= 1)) throw new RangeError(`multiplier must be >= 1, got ${resolved.multiplier}`);
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) throw new RangeError(`jitter must be in [0, 1], got ${resolved.jitter}`);
  if (!(resolved.maxAttempts >= 1)) throw new RangeError(`maxAttempts must be >= 1, got ${resolved.maxAttempts}`);
  return resolved;
}

/**
 * The delay before retry number `attempt` (1-based): min(max, initial·multiplier^(attempt-1)),
 * spread by ±jitter, never above maxDelayMs and never below 0. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = resolveBackoffOptions(options);
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  // Exponent capped so the power cannot overflow to Infinity before the min().
  const exponent = Math.min(attempt - 1, 1024);
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.multiplier ** exponent);
  const spread = base * o.jitter;
  const delay = base - spread + random() * 2 * spread;
  return Math.round(Math.min(o.maxDelayMs, Math.max(0, delay)));
}

/** Stateful backoff: `next()` gives the next delay, or undefined once maxAttempts are used. */
export class Backoff {
  readonly options: Readonly<Required<BackoffOptions>>;
  #attempt = 0;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.options = Object.freeze(resolveBackoffOptions(options));
    this.#random = random;
  }

  /** Attempts handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  next(): number | undefined {
    if (this.#attempt >= this.options.maxAttempts) return undefined;
    this.#attempt += 1;
    return backoffDelay(this.#attempt, this.options, this.#random);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
