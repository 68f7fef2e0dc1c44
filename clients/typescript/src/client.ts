import * as grpc from '@grpc/grpc-js';
import { resolveBackoffOptions, type BackoffOptions } from './backoff.js';
import { clientInternals, unary, type ClientInternals } from './internal.js';
import { createRawClient, type BridgeStatusResponse, type HealthCheckResponse } from './proto.js';
import { BridgeSession, type SessionOptions } from './session.js';
import { BridgeStateError } from './errors.js';

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
  /** The bridge's gRPC address, `host:port`. */
  address: string;
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
 * One bridge address. Holds one gRPC channel shared by all its sessions; create sessions (one
 * per user) with `session()`. `close()` disposes every session and closes the channel.
 */
export class BridgeClient {
  readonly address: string;
  readonly #internals: ClientInternals;
  readonly #sessions = new Map<string, BridgeSession>();
  #closed = false;

  constructor(options: BridgeClientOptions | string) {
    const o: BridgeClientOptions = typeof options === 'string' ? { address: options } : options;
    if (!o.address) throw new TypeError('BridgeClient: address is required');
    this.address = o.address;
    const reconnect = resolveBackoffOptions(o.reconnect);
    const keepalive = o.keepalive ?? {};
    const channelOptions: Record<string, string | number> = {
      'grpc.keepalive_time_ms': keepalive.timeMs ?? 15_000,
      'grpc.keepalive_timeout_ms': keepalive.timeoutMs ?? 5_000,
      'grpc.keepalive_permit_without_calls': keepalive.permitWithoutCalls === true ? 1 : 0,
      'grpc.initial_reconnect_backoff_ms': Math.max(1, Math.round(reconnect.initialDelayMs)),
      'grpc.max_reconnect_backoff_ms': Math.max(1, Math.round(reconnect.maxDelayMs)),
      ...o.channelOptions,
    };
    const credentials = o.credentials
      ?? (o.tls !== undefined
        ? grpc.credentials.createSsl(o.tls.rootCerts ?? null, o.tls.privateKey ?? null, o.tls.certChain ?? null)
        : grpc.credentials.createInsecure());
    const raw = createRawClient(this.address, credentials, channelOptions, o.token === undefined ? [] : [bearerInterceptor(o.token)]);
    this.#internals = {
      raw,
      requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
      joinTimeoutMs: o.joinTimeoutMs ?? 30_000,
      reconnect,
      isClosed: () => this.#closed,
      register: (userId, session) => {
        if (this.#closed) throw new BridgeStateError('BridgeClient is closed');
        if (this.#sessions.has(userId)) {
          throw new BridgeStateError(`a session for user ${JSON.stringify(userId)} is already open on this client`);
        }
        this.#sessions.set(userId, session as BridgeSession);
      },
      unregister: (userId, session) => {
        if (this.#sessions.get(userId) === session) this.#sessions.delete(userId);
      },
    };
    clientInternals.set(this, this.#internals);
  }

  /** A new session for `userId` (one open session per user and client). Call `join()` on it. */
  session(userId: string, options?: SessionOptions): BridgeSession {
    return new BridgeSession(this, userId, options);
  }

  /** The open session of `userId`, if any. */
  getSession(userId: string): BridgeSession | undefined {
    return this.#sessions.get(userId);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** HealthCheck. */
  health(options: RequestOptions = {}): Promise<HealthCheckResponse> {
    this.#assertOpen();
    const raw = this.#internals.raw;
    return unary<HealthCheckResponse>('HealthCheck', options.timeoutMs ?? this.#internals.requestTimeoutMs, (callOptions, cb) =>
      raw.HealthCheck({}, callOptions, cb),
    );
  }

  /** GetStatus for one user. */
  status(userId: string, options: RequestOptions = {}): Promise<BridgeStatusResponse> {
    this.#assertOpen();
    const raw = this.#internals.raw;
    return unary<BridgeStatusResponse>('GetStatus', options.timeoutMs ?? this.#internals.requestTimeoutMs, (callOptions, cb) =>
      raw.GetStatus({ user_id: userId }, callOptions, cb),
    );
  }

  /** Resolves once the channel is connected; rejects after `timeoutMs`. */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    this.#assertOpen();
    return new Promise((resolve, reject) => {
      this.#internals.raw.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Disposes every session, then closes the channel. Idempotent. */
  close(): void {
    if (this.#closed) return;
    for (const session of [...this.#sessions.values()]) session.dispose();
    this.#closed = true;
    this.#sessions.clear();
    this.#internals.raw.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new BridgeStateError('BridgeClient is closed');
  }
}
