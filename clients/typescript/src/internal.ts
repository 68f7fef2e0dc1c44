import * as grpc from '@grpc/grpc-js';
import { BridgeRpcError, BridgeSessionClosedError } from './errors.js';
import type { LiveKitBridgeClient } from './proto.js';
import type { BackoffOptions } from './backoff.js';

/** Something in flight that dispose() must be able to stop. */
export interface Cancelable {
  cancel(): void;
}

/** What a BridgeSession needs from its BridgeClient; not part of the public API. */
export interface ClientInternals {
  raw: LiveKitBridgeClient;
  requestTimeoutMs: number;
  joinTimeoutMs: number;
  reconnect: BackoffOptions;
  isClosed(): boolean;
  register(userId: string, session: { dispose(): void }): void;
  unregister(userId: string, session: object): void;
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
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call = start({ deadline: Date.now() + timeoutMs }, (error, value) => {
      calls?.delete(call);
      if (error !== null && error !== undefined) {
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
