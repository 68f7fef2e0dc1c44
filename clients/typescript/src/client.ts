import * as grpc from '@grpc/grpc-js';
import { resolveBackoffOptions, type BackoffOptions } from './backoff.js';
import { clientInternals, unary, type ClientInternals, type SessionHooks } from './internal.js';
import { createRawClient, type BridgeStatusResponse, type HealthCheckResponse, type LiveKitBridgeClient } from './proto.js';
import { BridgeSession, type SessionOptions } from './session.js';
import { BridgeRpcError, BridgeStateError } from './errors.js';
import { BridgePool, Endpoint, defaultLookup, parseHostPort, type BridgeInfo, type HealthCheckOptions } from './pool.js';

/** HTTP/2 keepalive pings, so a dead bridge or a silently dropped connection is noticed. */
export interface KeepaliveOptions {
  /** Ping interval. Default 15 000 ms. The server must permit it (grpc-java: `permitKeepAliveTime`). */
  timeMs?: number;
  /** How long to wait for the ping's answer before the connection counts as dead. Default 5 000 ms. */
  timeoutMs?: number;
  /** Ping even without calls in flight. Default false (grpc servers reject it unless configured). */
  permitWithoutCalls?: boolean;
}

export interface BridgeClientOptions {
  /** The bridge's gRPC address, `host:port`. One of `address`, `addresses`, `dns` is required. */
  address?: string;
  /**
   * Several bridges, `host:port` each. Each user is placed on one by rendezvous hashing of its
   * user id over the bridges that answer; a bridge that stops answering has its users re-joined
   * on the others. (A list of one behaves like `address`.)
   */
  addresses?: readonly string[];
  /**
   * A DNS name that resolves to the bridges (e.g. a Kubernetes headless Service), `name:port`:
   * every address it resolves to (node:dns `lookup`, all records) is a bridge, placed on like
   * `addresses`. Resolved at start, every `dnsRefreshMs`, and when a bridge goes down.
   */
  dns?: string;
  /** Re-resolution interval of `dns`. Default 30 000 ms. */
  dnsRefreshMs?: number;
  /** Resolves `dns`'s name to addresses; default node:dns `lookup(name, { all: true })`. */
  lookup?: (hostname: string) => Promise<readonly string[]>;
  /** Health checks of the bridges, with `addresses` or `dns` only. */
  healthCheck?: HealthCheckOptions;
  /**
   * The bridge's bearer token (its `BRIDGE_AUTH_TOKENS`), sent as `authorization: Bearer <token>`
   * on every call. Over plaintext it travels in the clear: use `tls` across networks.
   */
  token?: string;
  /** Connect with TLS: the CA that signed the bridge's certificate, and for mutual TLS our own. */
  tls?: {
    /** PEM; default: the system's roots. */
    rootCerts?: Buffer;
    /** PEM client certificate chain and key, when the bridge requires mutual TLS. */
    certChain?: Buffer;
    privateKey?: Buffer;
  };
  /** Channel credentials as you build them yourself; overrides `tls`. Default: plaintext. */
  credentials?: grpc.ChannelCredentials;
  keepalive?: KeepaliveOptions;
  /**
   * Default reconnection backoff for sessions; also bounds the channel's own reconnect backoff
   * so a restarted bridge is found as soon as a session retries.
   */
  reconnect?: BackoffOptions;
  /** Deadline of unary calls other than JoinRoom. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Deadline of JoinRoom (the bridge connects to LiveKit before answering). Default 30 000 ms. */
  joinTimeoutMs?: number;
  /** Extra grpc-js channel options (`grpc.*` keys); they override the ones derived above. */
  channelOptions?: Readonly<Record<string, string | number>>;
}

export interface RequestOptions {
  /** Deadline for this call. Default: the client's requestTimeoutMs. */
  timeoutMs?: number;
}

/** Adds `authorization: Bearer <token>` to every call (works over plaintext, unlike call credentials). */
function bearerInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/**
 * One or several bridges. Holds one gRPC channel per bridge, shared by all sessions placed on it;
 * create sessions (one per user) with `session()`. `close()` disposes every session and closes
 * the channels.
 *
 * With several bridges (`addresses` or `dns`), each user goes to the bridge with the highest
 * rendezvous weight for its user id among those that answer. A bridge whose stream or calls fail
 * with UNAVAILABLE (or a deadline), or that misses its health checks, is down: its sessions
 * re-join on the others with their usual backoff. A bridge that answers again takes new users
 * and any session that re-joins and weighs it highest; sessions that are connected elsewhere
 * stay where they are (nothing is moved while it works).
 */
export class BridgeClient {
  /** The address as given: `address`, the `addresses` joined by commas, or the `dns` name. */
  readonly address: string;
  readonly #internals: ClientInternals;
  readonly #sessions = new Map<string, { session: BridgeSession; hooks: SessionHooks }>();
  readonly #single: Endpoint | undefined;
  readonly #pool: BridgePool | undefined;
  #closed = false;

  constructor(options: BridgeClientOptions | string) {
    const o: BridgeClientOptions = typeof options === 'string' ? { address: options } : options;
    const given = [o.address !== undefined, o.addresses !== undefined, o.dns !== undefined].filter(Boolean).length;
    if (given > 1) throw new TypeError('BridgeClient: give one of address, addresses, dns');
    if (o.addresses !== undefined && (o.addresses.length === 0 || o.addresses.some((a) => !a))) {
      throw new TypeError('BridgeClient: addresses must be a non-empty list of host:port');
    }
    if (!o.address && o.addresses === undefined && !o.dns) throw new TypeError('BridgeClient: address is required');
    const several = o.dns !== undefined || (o.addresses !== undefined && o.addresses.length > 1);
    this.address = o.dns ?? o.addresses?.join(',') ?? (o.address as string);
    const reconnect = resolveBackoffOptions(o.reconnect);
    const health = {
      intervalMs: o.healthCheck?.intervalMs ?? 2_000,
      timeoutMs: o.healthCheck?.timeoutMs ?? 1_500,
      failuresToDown: o.healthCheck?.failuresToDown ?? 2,
    };
    if (!(health.intervalMs > 0 && health.timeoutMs > 0 && Number.isInteger(health.failuresToDown) && health.failuresToDown >= 1)) {
      throw new RangeError('BridgeClient: healthCheck intervalMs and timeoutMs must be > 0, failuresToDown an integer >= 1');
    }
    const keepalive = o.keepalive ?? {};
    // With several bridges a bridge that comes back must be found by the next health check, so
    // the channel's own reconnect backoff stays below the check interval.
    const maxReconnectMs = Math.max(1, Math.round(several ? Math.min(reconnect.maxDelayMs, health.intervalMs) : reconnect.maxDelayMs));
    const channelOptions: Record<string, string | number> = {
      'grpc.keepalive_time_ms': keepalive.timeMs ?? 15_000,
      'grpc.keepalive_timeout_ms': keepalive.timeoutMs ?? 5_000,
      'grpc.keepalive_permit_without_calls': keepalive.permitWithoutCalls === true ? 1 : 0,
      'grpc.initial_reconnect_backoff_ms': Math.min(maxReconnectMs, Math.max(1, Math.round(reconnect.initialDelayMs))),
      'grpc.max_reconnect_backoff_ms': maxReconnectMs,
      ...o.channelOptions,
    };
    const credentials = o.credentials
      ?? (o.tls !== undefined
        ? grpc.credentials.createSsl(o.tls.rootCerts ?? null, o.tls.privateKey ?? null, o.tls.certChain ?? null)
        : grpc.credentials.createInsecure());
    const interceptors = o.token === undefined ? [] : [bearerInterceptor(o.token)];
    const createRaw = (address: string): LiveKitBridgeClient => createRawClient(address, credentials, channelOptions, interceptors);
    const requestTimeoutMs = o.requestTimeoutMs ?? 10_000;

    if (several) {
      this.#single = undefined;
      this.#pool = new BridgePool({
        ...(o.addresses !== undefined ? { addresses: o.addresses } : {}),
        ...(o.dns !== undefined ? { dns: parseHostPort(o.dns) } : {}),
        createRaw,
        health,
        requestTimeoutMs,
        dnsRefreshMs: o.dnsRefreshMs ?? 30_000,
        lookup: o.lookup ?? defaultLookup,
        currentEndpoint: (userId) => this.#sessions.get(userId)?.hooks.endpoint(),
        sessionCounts: () => {
          const counts = new Map<Endpoint, number>();
          for (const { hooks } of this.#sessions.values()) {
            const e = hooks.endpoint();
            if (e !== undefined) counts.set(e, (counts.get(e) ?? 0) + 1);
          }
          return counts;
        },
        onDown: (endpoint, error) => {
          for (const { hooks } of [...this.#sessions.values()]) if (hooks.endpoint() === endpoint) hooks.relocate(error);
        },
      });
    } else {
      const address = (o.address ?? o.addresses?.[0]) as string;
      this.#single = new Endpoint(address, createRaw(address), 'up');
      this.#pool = undefined;
    }
    const single = this.#single;
    const pool = this.#pool;
    this.#internals = {
      requestTimeoutMs,
      joinTimeoutMs: o.joinTimeoutMs ?? 30_000,
      reconnect,
      isClosed: () => this.#closed,
      register: (userId, session, hooks) => {
        if (this.#closed) throw new BridgeStateError('BridgeClient is closed');
        if (this.#sessions.has(userId)) {
          throw new BridgeStateError(`a session for user ${JSON.stringify(userId)} is already open on this client`);
        }
        this.#sessions.set(userId, { session: session as BridgeSession, hooks });
      },
      unregister: (userId, session) => {
        if (this.#sessions.get(userId)?.session === session) this.#sessions.delete(userId);
      },
      acquire: (userId) => (pool !== undefined ? pool.acquire(userId) : Promise.resolve(single as Endpoint)),
      peek: (userId) => (pool !== undefined ? pool.peek(userId) : single),
      failed: (endpoint, error) => (pool !== undefined ? pool.failed(endpoint, error) : Promise.resolve(false)),
      joined: (userId, from, to) => pool?.moved(userId, from, to),
      endpointCount: () => (pool !== undefined ? pool.endpoints.length : 1),
    };
    clientInternals.set(this, this.#internals);
  }

  /** A new session for `userId` (one open session per user and client). Call `join()` on it. */
  session(userId: string, options?: SessionOptions): BridgeSession {
    return new BridgeSession(this, userId, options);
  }

  /** The open session of `userId`, if any. */
  getSession(userId: string): BridgeSession | undefined {
    return this.#sessions.get(userId)?.session;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The bridges as this client sees them: address, state (`up`, `suspect`, `down`, `draining`),
   * sessions placed there. With one `address`: that one, always `up`.
   */
  bridges(): BridgeInfo[] {
    if (this.#pool !== undefined) return this.#pool.info();
    const single = this.#single as Endpoint;
    return [{ address: single.address, state: 'up', sessions: this.#sessions.size, listed: true, since: single.since }];
  }

  /**
   * The bridge `userId` is on (its session's), or would be placed on now; undefined while a DNS
   * name is not resolved yet.
   */
  bridgeFor(userId: string): string | undefined {
    return (this.#sessions.get(userId)?.hooks.endpoint() ?? this.#internals.peek(userId))?.address;
  }

  /**
   * HealthCheck. With several bridges: of `options.address`, or else of the first bridge that is
   * up (in the order given or resolved).
   */
  health(options: RequestOptions & { address?: string } = {}): Promise<HealthCheckResponse> {
    this.#assertOpen();
    let endpoint: Endpoint | undefined;
    try {
      endpoint = this.#endpointFor(options.address);
    } catch (error) {
      return Promise.reject(error);
    }
    const raw = endpoint.raw;
    return unary<HealthCheckResponse>('HealthCheck', options.timeoutMs ?? this.#internals.requestTimeoutMs, (callOptions, cb) =>
      raw.HealthCheck({}, callOptions, cb),
    );
  }

  /** GetStatus for one user, from the bridge its session is on (or the one it would be placed on). */
  status(userId: string, options: RequestOptions = {}): Promise<BridgeStatusResponse> {
    this.#assertOpen();
    const endpoint = this.#sessions.get(userId)?.hooks.endpoint() ?? this.#internals.peek(userId);
    if (endpoint === undefined) return Promise.reject(new BridgeRpcError('GetStatus', grpc.status.UNAVAILABLE, 'no bridge address known yet'));
    const raw = endpoint.raw;
    return unary<BridgeStatusResponse>(
      'GetStatus',
      options.timeoutMs ?? this.#internals.requestTimeoutMs,
      (callOptions, cb) => raw.GetStatus({ user_id: userId }, callOptions, cb),
      undefined,
      undefined,
      (error) => void this.#internals.failed(endpoint, error),
    );
  }

  /**
   * Resolves once a channel is connected (with several bridges: any of them); rejects after
   * `timeoutMs`.
   */
  async waitForReady(timeoutMs = 10_000): Promise<void> {
    this.#assertOpen();
    const deadline = Date.now() + timeoutMs;
    const wait = (raw: LiveKitBridgeClient): Promise<void> =>
      new Promise((resolve, reject) => raw.waitForReady(deadline, (error) => (error ? reject(error) : resolve())));
    if (this.#pool === undefined) return wait((this.#single as Endpoint).raw);
    await Promise.race([this.#pool.resolve(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    const endpoints = this.#pool.endpoints;
    if (endpoints.length === 0) throw new Error(`no bridge address for ${this.address}`);
    try {
      await Promise.any(endpoints.map((e) => wait(e.raw)));
    } catch (error) {
      throw error instanceof AggregateError && error.errors[0] instanceof Error ? error.errors[0] : error;
    }
  }

  /** Disposes every session, then closes the channels. Idempotent. */
  close(): void {
    if (this.#closed) return;
    for (const { session } of [...this.#sessions.values()]) session.dispose();
    this.#closed = true;
    this.#sessions.clear();
    this.#single?.raw.close();
    this.#pool?.close();
  }

  #endpointFor(address: string | undefined): Endpoint {
    if (this.#pool === undefined) return this.#single as Endpoint;
    const endpoints = this.#pool.endpoints;
    const found = address !== undefined
      ? endpoints.find((e) => e.address === address)
      : (endpoints.find((e) => e.state === 'up' && e.listed) ?? endpoints.find((e) => e.listed) ?? endpoints[0]);
    if (found === undefined) {
      throw new BridgeRpcError('HealthCheck', grpc.status.UNAVAILABLE, address !== undefined ? `no bridge ${address}` : 'no bridge address known yet');
    }
    return found;
  }

  #assertOpen(): void {
    if (this.#closed) throw new BridgeStateError('BridgeClient is closed');
  }
}
