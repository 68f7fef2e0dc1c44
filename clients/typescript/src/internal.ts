import * as grpc from '@grpc/grpc-js';
import { BridgeRpcError, BridgeSessionClosedError } from './errors.js';
import type { BackoffOptions } from './backoff.js';
import type { Endpoint } from './pool.js';

/** Something in flight that dispose() must be able to stop. */
export interface Cancelable {
  cancel(): void;
}

/** What the client needs from a session to move it when its bridge goes down. */
export interface SessionHooks {
  /** The bridge the session joined through (undefined before the first join). */
  endpoint(): Endpoint | undefined;
  /** Its bridge went down: re-join elsewhere (with the session's backoff) if connected there. */
  relocate(error: Error): void;
}

/** What a BridgeSession needs from its BridgeClient; not part of the public API. */
export interface ClientInternals {
  requestTimeoutMs: number;
  joinTimeoutMs: number;
  reconnect: BackoffOptions;
  isClosed(): boolean;
  register(userId: string, session: { dispose(): void }, hooks: SessionHooks): void;
  unregister(userId: string, session: object): void;
  /** The bridge to (re)join `userId` through. Rejects (BridgeRpcError) when no address is known. */
  acquire(userId: string): Promise<Endpoint>;
  /** The bridge for calls outside a connection, without waiting (undefined: none known yet). */
  peek(userId: string): Endpoint | undefined;
  /**
   * A call or stream on `endpoint` failed: resolves true when that bridge is now known to take
   * no new users, so that another one should be tried at once.
   */
  failed(endpoint: Endpoint, error: unknown): Promise<boolean>;
  /** `userId` joined through `to`, previously on `from`. */
  joined(userId: string, from: Endpoint | undefined, to: Endpoint): void;
  /** How many bridges there are to try. */
  endpointCount(): number;
}

export const clientInternals = new WeakMap<object, ClientInternals>();

export type UnaryStarter<T> = (
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, value?: T) => void,
) => grpc.ClientUnaryCall;

/**
 * Runs one unary call as a promise. While it runs it sits in `calls` (so its owner can cancel
 * it); if `closed()` says so when it fails, it rejects with BridgeSessionClosedError.
 */
export function unary<T>(
  method: string,
  timeoutMs: number,
  start: UnaryStarter<T>,
  calls?: Set<Cancelable>,
  closed?: () => boolean,
  failed?: (error: grpc.ServiceError) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call = start({ deadline: Date.now() + timeoutMs }, (error, value) => {
      calls?.delete(call);
      if (error !== null && error !== undefined) {
        if (closed?.() !== true) failed?.(error);
        reject(closed?.() === true ? new BridgeSessionClosedError(method, { cause: error }) : BridgeRpcError.from(method, error));
      } else if (value === undefined) {
        reject(new BridgeRpcError(method, grpc.status.INTERNAL, 'no response message'));
      } else {
        resolve(value);
      }
    });
    calls?.add(call);
  });
}
