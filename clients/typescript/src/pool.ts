import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { BridgeRpcError } from './errors.js';
import { rendezvousWeight } from './placement.js';
import type { HealthCheckResponse, LeaveRoomResponse, LiveKitBridgeClient } from './proto.js';

/**
 * How this client sees one bridge.
 * - `up`: answered its last health check SERVING (or answered at all); takes new users.
 * - `suspect`: a call or stream on it just failed; a health check is under way, and a placement
 *   that would choose it waits for the answer.
 * - `down`: stopped answering; its users were moved to the others. Still checked, so it comes
 *   back when it answers.
 * - `draining`: answers NOT_SERVING (shutting down): keeps the users it has, takes no new ones.
 */
export type BridgeState = 'up' | 'suspect' | 'down' | 'draining';

export interface BridgeInfo {
  /** `host:port`. */
  address: string;
  state: BridgeState;
  /** Sessions of this client placed on it. */
  sessions: number;
  /** In the address list (false: gone from DNS, kept while sessions still use it). */
  listed: boolean;
  /** When it entered its state (ms since the epoch). */
  since: number;
  /** Why it is suspect or down. */
  lastError?: string;
}

/** Health checks of the bridges (only with several addresses or a DNS name). */
export interface HealthCheckOptions {
  /** How often every bridge is asked (HealthCheck RPC). Default 2 000 ms. */
  intervalMs?: number;
  /** Deadline of one check. Default 1 500 ms. */
  timeoutMs?: number;
  /**
   * Consecutive checks without an answer (deadline exceeded) before a bridge counts as down;
   * a refused or dropped connection (UNAVAILABLE) counts at once. Default 2.
   */
  failuresToDown?: number;
}

/** Codes that say "the bridge may be gone", as opposed to an answer from a live bridge. */
const UNANSWERED = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
]);

/** True when `error` (from a call or stream on a bridge) may mean the bridge is gone. */
export function looksUnanswered(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && UNANSWERED.has(code);
}

/** One bridge address and its channel. */
export class Endpoint {
  state: BridgeState;
  listed = true;
  failures = 0;
  since = Date.now();
  lastError: Error | undefined;
  probe: Promise<void> | undefined;
  /** Users moved off it while it did not answer: told to leave (LeaveRoom) once it answers again. */
  readonly orphans = new Set<string>();

  constructor(
    readonly address: string,
    readonly raw: LiveKitBridgeClient,
    state: BridgeState,
  ) {
    this.state = state;
  }
}

export interface PoolOptions {
  /** Fixed addresses (`host:port`). */
  addresses?: readonly string[];
  /** A DNS name whose addresses are the bridges, and their port. */
  dns?: { host: string; port: number };
  createRaw(address: string): LiveKitBridgeClient;
  health: Required<HealthCheckOptions>;
  requestTimeoutMs: number;
  dnsRefreshMs: number;
  lookup: (hostname: string) => Promise<readonly string[]>;
  /** Where `userId`'s session is now (undefined: no session, or not joined). */
  currentEndpoint(userId: string): Endpoint | undefined;
  /** Sessions per endpoint. */
  sessionCounts(): Map<Endpoint, number>;
  /** `endpoint` went down: move its sessions. */
  onDown(endpoint: Endpoint, error: Error): void;
}

/** Parses `host:port` (`[v6]:port` too). */
export function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`BridgeClient: expected host:port, got ${JSON.stringify(value)}`);
  }
  return { host, port };
}

function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function defaultLookup(hostname: string): Promise<string[]> {
  const answers = await dnsLookup(hostname, { all: true });
  return answers.map((a) => a.address);
}

/**
 * The bridges of one BridgeClient: where each user goes (rendezvous hashing over the bridges
 * that answer), which bridges answer (health checks, plus what sessions report), and, with a DNS
 * name, which bridges exist (resolved at start, every `dnsRefreshMs`, and whenever a bridge goes
 * down or none answers).
 */
export class BridgePool {
  readonly #options: PoolOptions;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #timers: NodeJS.Timeout[] = [];
  #resolving: Promise<void> | undefined;
  #resolvedAt = 0;
  #resolveTimer: NodeJS.Timeout | undefined;
  #dnsError: Error | undefined;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    for (const address of options.addresses ?? []) this.#add(address);
    const interval = setInterval(() => this.#checkAll(), options.health.intervalMs);
    interval.unref();
    this.#timers.push(interval);
    if (options.dns !== undefined) {
      const refresh = setInterval(() => void this.resolve(), options.dnsRefreshMs);
      refresh.unref();
      this.#timers.push(refresh);
      void this.resolve();
    }
  }

  get endpoints(): Endpoint[] {
    return [...this.#endpoints.values()];
  }

  info(): BridgeInfo[] {
    const counts = this.#options.sessionCounts();
    return this.endpoints.map((e) => ({
      address: e.address,
      state: e.state,
      sessions: counts.get(e) ?? 0,
      listed: e.listed,
      since: e.since,
      ...(e.lastError === undefined ? {} : { lastError: e.lastError.message }),
    }));
  }

  /** Resolves the DNS name now (at most one lookup at a time). No-op without a DNS name. */
  resolve(): Promise<void> {
    const dns = this.#options.dns;
    if (dns === undefined || this.#closed) return Promise.resolve();
    if (this.#resolving !== undefined) return this.#resolving;
    const resolving = (async () => {
      try {
        const found = [...new Set(await this.#options.lookup(dns.host))].map((ip) => joinHostPort(ip, dns.port));
        if (this.#closed) return;
        if (found.length === 0) throw new Error(`${dns.host} resolved to no address`);
        this.#dnsError = undefined;
        this.#sync(found);
      } catch (error) {
        this.#dnsError = error instanceof Error ? error : new Error(String(error));
      } finally {
        this.#resolvedAt = Date.now();
        this.#resolving = undefined;
      }
    })();
    this.#resolving = resolving;
    return resolving;
  }

  /** Re-resolves now, or one second after the last lookup if that was more recent. */
  #resolveSoon(): void {
    if (this.#options.dns === undefined || this.#closed || this.#resolveTimer !== undefined) return;
    const wait = this.#resolvedAt + 1000 - Date.now();
    if (wait <= 0) {
      void this.resolve();
      return;
    }
    this.#resolveTimer = setTimeout(() => {
      this.#resolveTimer = undefined;
      void this.resolve();
    }, wait);
    this.#resolveTimer.unref();
  }

  /**
   * The bridge for `userId`: the highest rendezvous weight among the bridges that are up.
   * Waits for the health check of any suspect bridge that would come first. When none is up,
   * re-resolves and returns the best one that is not down (or the first), whose call will then
   * fail or succeed on its own.
   */
  async acquire(userId: string): Promise<Endpoint> {
    if (this.#options.dns !== undefined && (this.#resolving !== undefined || this.#listed().length === 0)) {
      await (this.#resolving ?? this.resolve());
    }
    for (let round = 0; ; round++) {
      const order = this.#order(userId);
      const first = order[0];
      if (first === undefined) {
        const why = this.#dnsError !== undefined ? `: ${this.#dnsError.message}` : '';
        throw new BridgeRpcError('JoinRoom', grpc.status.UNAVAILABLE, `no bridge address${why}`);
      }
      const up = order.findIndex((e) => e.state === 'up');
      const pending = (up === -1 ? order : order.slice(0, up)).filter((e) => e.state === 'suspect');
      if (pending.length === 0 || round >= 3) {
        if (up !== -1) return order[up] as Endpoint;
        this.#resolveSoon();
        for (const e of order) if (e.state === 'down') void this.check(e);
        return order.find((e) => e.state !== 'down') ?? first;
      }
      await Promise.all(pending.map((e) => this.check(e)));
    }
  }

  /** The bridge `acquire()` would most likely choose now, without waiting. */
  peek(userId: string): Endpoint | undefined {
    const order = this.#order(userId);
    return order.find((e) => e.state === 'up') ?? order.find((e) => e.state !== 'down') ?? order[0];
  }

  /**
   * A call or stream on `endpoint` failed with `error`. When the error may mean the bridge is
   * gone, checks it at once; resolves true when, after that check, the bridge takes no new users
   * (down or draining), i.e. another bridge should be tried.
   */
  async failed(endpoint: Endpoint, error: unknown): Promise<boolean> {
    if (this.#closed || !looksUnanswered(error)) return false;
    if (endpoint.state === 'up') this.#setState(endpoint, 'suspect', error instanceof Error ? error : new Error(String(error)));
    if (endpoint.state === 'suspect') await this.check(endpoint);
    return endpoint.state === 'down' || endpoint.state === 'draining';
  }

  /** `userId` joined through `to`, coming from `from`. */
  moved(userId: string, from: Endpoint | undefined, to: Endpoint): void {
    to.orphans.delete(userId);
    if (from === undefined || from === to || this.#closed) return;
    if (from.state === 'up' || from.state === 'draining') this.#leave(from, userId);
    else from.orphans.add(userId);
  }

  /** One health check of `endpoint` (joins the one in flight). */
  check(endpoint: Endpoint): Promise<void> {
    if (endpoint.probe !== undefined) return endpoint.probe;
    if (this.#closed) return Promise.resolve();
    const probe = new Promise<void>((resolve) => {
      const done = (error: grpc.ServiceError | null, response?: HealthCheckResponse): void => {
        endpoint.probe = undefined;
        if (!this.#closed) this.#onCheck(endpoint, error, response);
        resolve();
      };
      try {
        endpoint.raw.HealthCheck({}, { deadline: Date.now() + this.#options.health.timeoutMs }, done);
      } catch (thrown) {
        // A closed channel throws instead of calling back: that bridge does not answer. Never a
        // rejected probe (every caller of failed() would get an unhandled rejection from it).
        const details = thrown instanceof Error ? thrown.message : String(thrown);
        queueMicrotask(() => done(Object.assign(new Error(details), { code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() })));
      }
    });
    endpoint.probe = probe;
    return probe;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#resolveTimer);
    for (const e of this.#endpoints.values()) e.raw.close();
    this.#endpoints.clear();
  }

  #onCheck(endpoint: Endpoint, error: grpc.ServiceError | null, response: HealthCheckResponse | undefined): void {
    if (error === null || !UNANSWERED.has(error.code)) {
      // An answer, even an error status (e.g. UNAUTHENTICATED: the calls will say so), means alive.
      endpoint.failures = 0;
      this.#setState(endpoint, response !== undefined && response.status !== 'SERVING' ? 'draining' : 'up');
      return;
    }
    endpoint.failures += 1;
    const reason = new BridgeRpcError('HealthCheck', error.code, error.details);
    endpoint.lastError = reason;
    if (error.code === grpc.status.UNAVAILABLE || endpoint.state !== 'up' || endpoint.failures >= this.#options.health.failuresToDown) {
      this.#setState(endpoint, 'down', reason);
    }
  }

  #setState(endpoint: Endpoint, next: BridgeState, error?: Error): void {
    if (error !== undefined) endpoint.lastError = error;
    if (endpoint.state === next) return;
    endpoint.state = next;
    endpoint.since = Date.now();
    if (next === 'up') endpoint.lastError = undefined;
    if (next === 'down') {
      this.#resolveSoon();
      this.#options.onDown(endpoint, endpoint.lastError ?? new Error(`bridge ${endpoint.address} is down`));
    }
    if ((next === 'up' || next === 'draining') && endpoint.orphans.size > 0) {
      const orphans = [...endpoint.orphans];
      endpoint.orphans.clear();
      for (const userId of orphans) if (this.#options.currentEndpoint(userId) !== endpoint) this.#leave(endpoint, userId);
    }
  }

  /** Best effort: tells `endpoint` to drop `userId`'s old session (it lives on another bridge now). */
  #leave(endpoint: Endpoint, userId: string): void {
    try {
      endpoint.raw.LeaveRoom({ user_id: userId }, { deadline: Date.now() + this.#options.requestTimeoutMs }, (_error: grpc.ServiceError | null, _response?: LeaveRoomResponse) => {});
    } catch {
      // Its channel is closed: nothing to tell it any more.
    }
  }

  #checkAll(): void {
    if (this.#closed) return;
    const counts = this.#options.sessionCounts();
    for (const [address, e] of this.#endpoints) {
      if (e.listed || (counts.get(e) ?? 0) > 0) void this.check(e);
      else if (e.probe === undefined) {
        e.raw.close();
        this.#endpoints.delete(address);
      }
    }
  }

  #listed(): Endpoint[] {
    return this.endpoints.filter((e) => e.listed);
  }

  #order(userId: string): Endpoint[] {
    return this.#listed()
      .map((e) => ({ e, weight: rendezvousWeight(userId, e.address) }))
      .sort((a, b) => (a.weight === b.weight ? (a.e.address < b.e.address ? -1 : 1) : a.weight > b.weight ? -1 : 1))
      .map((x) => x.e);
  }

  #add(address: string): Endpoint {
    // Unknown until its first health check, which starts now; a placement waits for it.
    const endpoint = new Endpoint(address, this.#options.createRaw(address), 'suspect');
    this.#endpoints.set(address, endpoint);
    void this.check(endpoint);
    return endpoint;
  }

  #sync(found: readonly string[]): void {
    const wanted = new Set(found);
    for (const e of this.#endpoints.values()) e.listed = wanted.has(e.address);
    for (const address of found) if (!this.#endpoints.has(address)) this.#add(address);
  }
}
