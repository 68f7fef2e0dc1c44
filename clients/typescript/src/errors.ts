import * as grpc from '@grpc/grpc-js';

/** Base class of every error this package throws or rejects with. */
export class BridgeError extends Error {
  override name = 'BridgeError';
}

/**
 * A gRPC call failed at the transport or status level (bridge unreachable, deadline,
 * cancelled, an error status from the bridge).
 */
export class BridgeRpcError extends BridgeError {
  override name = 'BridgeRpcError';
  /** The gRPC status code, e.g. `grpc.status.UNAVAILABLE` (14). */
  readonly code: grpc.status;
  /** The status name, e.g. `"UNAVAILABLE"`. */
  readonly codeName: string;
  /** The status details as the bridge or the transport reported them. */
  readonly details: string;
  readonly method: string;

  constructor(method: string, code: grpc.status, details: string, options?: { cause?: unknown }) {
    super(`${method} failed: ${grpc.status[code] ?? code}${details ? `: ${details}` : ''}`, options);
    this.method = method;
    this.code = code;
    this.codeName = grpc.status[code] ?? String(code);
    this.details = details;
  }

  /** Wraps what a grpc-js call reported (a `ServiceError`, or anything else). */
  static from(method: string, error: unknown): BridgeRpcError {
    if (isServiceError(error)) {
      return new BridgeRpcError(method, error.code, error.details, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new BridgeRpcError(method, grpc.status.UNKNOWN, message, { cause: error });
  }
}

/** The bridge answered JoinRoom with `success: false`. */
export class BridgeJoinError extends BridgeError {
  override name = 'BridgeJoinError';
  /** The `error` field of JoinRoomResponse, as the bridge wrote it. */
  readonly bridgeError: string;
  constructor(bridgeError: string) {
    super(`JoinRoom refused by the bridge: ${bridgeError || '(no reason given)'}`);
    this.bridgeError = bridgeError;
  }
}

/** A request the bridge answered with `success: false` (LeaveRoom, StopAudio). */
export class BridgeRequestError extends BridgeError {
  override name = 'BridgeRequestError';
  readonly method: string;
  /** The `error` field of the response, as the bridge wrote it. */
  readonly bridgeError: string;
  constructor(method: string, bridgeError: string) {
    super(`${method} refused by the bridge: ${bridgeError || '(no reason given)'}`);
    this.method = method;
    this.bridgeError = bridgeError;
  }
}

/**
 * A playback ended with a FAILED event, or its event stream ended without a terminal event.
 * `message` contains the bridge's error text (e.g. the HTTP status of the audio URL).
 */
export class BridgePlaybackError extends BridgeError {
  override name = 'BridgePlaybackError';
  readonly requestId: string;
  readonly audioUrl: string;
  /** The `error` field of the FAILED event, as the bridge wrote it. */
  readonly bridgeError: string;
  /**
   * The HTTP status code when the bridge's error text names one ("HTTP 404", "status 503",
   * "404 Not Found"); undefined otherwise.
   */
  readonly httpStatus: number | undefined;
  constructor(requestId: string, audioUrl: string, bridgeError: string) {
    super(`playback of ${audioUrl} failed: ${bridgeError || '(no reason given)'}`);
    this.requestId = requestId;
    this.audioUrl = audioUrl;
    this.bridgeError = bridgeError;
    this.httpStatus = parseHttpStatus(bridgeError);
  }
}

/** The session was closed (dispose(), leave(), or it gave up reconnecting) while the operation was pending. */
export class BridgeSessionClosedError extends BridgeError {
  override name = 'BridgeSessionClosedError';
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what}: the session is closed`, options);
  }
}

/** The operation is not allowed in the session's current state (e.g. join() twice). */
export class BridgeStateError extends BridgeError {
  override name = 'BridgeStateError';
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === 'number' &&
    typeof (error as Partial<grpc.ServiceError>).details === 'string'
  );
}

/** Finds an HTTP status code (100..599) in an error text; undefined when none is named. */
export function parseHttpStatus(text: string): number | undefined {
  const patterns = [
    /\bHTTP(?:\/\d(?:\.\d)?)?\s*(?:status\s*)?(?:code\s*)?[:=]?\s*([1-5]\d\d)\b/i,
    /\bstatus(?:\s*code)?\s*[:=]?\s*([1-5]\d\d)\b/i,
    /\b([1-5]\d\d)\s+(?:Not Found|Forbidden|Unauthorized|Bad Request|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|Gone|Too Many Requests)\b/i,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}
