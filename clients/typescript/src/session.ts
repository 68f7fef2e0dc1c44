import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { BoundedAsyncQueue } from './async-queue.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import {
  BridgeError,
  BridgeJoinError,
  BridgePlaybackError,
  BridgeRequestError,
  BridgeRpcError,
  BridgeSessionClosedError,
  BridgeStateError,
} from './errors.js';
import { clientInternals, unary, type Cancelable, type ClientInternals } from './internal.js';
import type { Endpoint } from './pool.js';
import type {
  AudioChunk,
  AudioChunkInput,
  BridgeStatusResponse,
  HealthCheckResponse,
  JoinRoomRequestInput,
  JoinRoomResponse,
  LeaveRoomResponse,
  LiveKitBridgeClient,
  PlayAudioEvent,
  StopAudioResponse,
} from './proto.js';
import type { BridgeClient } from './client.js';

/**
 * idle → (join) → connecting → connected ⇄ reconnecting → closed.
 * A failed join() returns to idle; leave(), dispose() and giving up end in closed.
 */
export type SessionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Why a session closed. `lost`: the stream broke and reconnection is disabled. */
export type CloseReason = 'left' | 'disposed' | 'gave-up' | 'lost';

/** Track ids of PlayAudio/StopAudio. */
export const Track = Object.freeze({ SPEAKER: 0, APP_AUDIO: 1, TTS: 2, ALL: -1 } as const);

/** A token, or a function giving a fresh one for each (re)join. */
export type TokenSource = string | (() => string | Promise<string>);

export interface JoinOptions {
  /** LiveKit room name. */
  room: string;
  /** Access token. Empty/omitted: the bridge mints one from its API key and secret. */
  token?: TokenSource;
  /** LiveKit URL. Omitted: the bridge's LIVEKIT_URL. */
  url?: string;
  /** Whose data packets to forward; all senders when omitted. */
  targetIdentity?: string;
  /** Also forward the target's microphone track, decoded to 16 kHz mono. */
  subscribeTargetAudio?: boolean;
}

export interface SessionOptions {
  /** Reconnection backoff (default: the client's); false disables reconnection. */
  reconnect?: BackoffOptions | false;
  /** Deadline of unary calls other than JoinRoom. Default: the client's. */
  requestTimeoutMs?: number;
  /** Deadline of each JoinRoom. Default: the client's. */
  joinTimeoutMs?: number;
  /**
   * Chunks given to sendAudio() that may wait while the stream is backpressured or the session
   * reconnects; beyond it the oldest is dropped (its promise resolves false). Default 10.
   */
  sendQueueLimit?: number;
  /** Default chunks per audio() iterator before drop-oldest. Default 100. */
  receiveQueueLimit?: number;
  /** Sample rate of the PCM given to sendAudio(). Default 16 000. */
  sampleRate?: number;
  /** Channels of the PCM given to sendAudio(). Default 1. */
  channels?: number;
  /**
   * A connection that lasted this long resets the backoff; one that broke sooner continues
   * the attempt count. Default 5 000 ms.
   */
  stableAfterMs?: number;
}

export interface AudioMeta {
  /** Hz (the bridge's 0 is reported as 16 000). */
  sampleRate: number;
  /** The bridge's 0 is reported as 1. */
  channels: number;
  timestampMs: number;
  /**
   * Where the room audio came from: `DATA_PACKET` (the phone's PCM data packets) or
   * `MICROPHONE` (the target's microphone track, with `subscribeTargetAudio`).
   */
  source: AudioChunkSource;
}

/** The origin of room-to-client audio (AudioChunk.source). */
export type AudioChunkSource = 'DATA_PACKET' | 'MICROPHONE';

export interface ReconnectInfo {
  /** 1-based attempt number. */
  attempt: number;
  /** Delay before this attempt. */
  delayMs: number;
  /** What broke the connection, or why the previous attempt failed. */
  error: Error;
}

export interface CloseInfo {
  reason: CloseReason;
  error?: Error;
}

export interface SessionStats {
  receivedChunks: number;
  receivedBytes: number;
  sentChunks: number;
  sentBytes: number;
  /** sendAudio() chunks dropped (queue full, or session closed before they could be written). */
  droppedOutgoing: number;
  /** Incoming chunks dropped by audio() iterators whose consumer fell behind. */
  droppedIncoming: number;
  /** Successful re-joins. */
  reconnects: number;
}

export interface SendAudioOptions {
  sampleRate?: number;
  channels?: number;
}

export interface PlayOptions {
  /** A gain > 0, above 1 boosts (limited by the bridge); default 1. (The proto's 0 means "unset", so 0 is rejected rather than played loud.) */
  volume?: number;
  /** Track.SPEAKER (default), Track.APP_AUDIO or Track.TTS. */
  trackId?: number;
  /** Stop whatever plays on the track first. */
  stopOther?: boolean;
  /** Default: a random UUID. */
  requestId?: string;
  /** Called for STARTED and PROGRESS events. */
  onProgress?: (event: PlayAudioEvent) => void;
  /** Aborting cancels the PlayAudio call and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface PlayResult {
  requestId: string;
  durationMs: number;
  positionMs: number;
  /** Why playback ended early (stopped, replaced); '' when it played to the end. */
  stopReason: string;
}

export type SessionEvents = {
  state: [state: SessionState, previous: SessionState];
  connected: [response: JoinRoomResponse, details: { reconnected: boolean }];
  reconnecting: [info: ReconnectInfo];
  closed: [info: CloseInfo];
  audio: [pcm: Buffer, meta: AudioMeta];
};

interface PendingSend {
  message: AudioChunkInput;
  bytes: number;
  resolve: (sent: boolean) => void;
}

type AudioStream = grpc.ClientDuplexStream<AudioChunkInput, AudioChunk>;

/**
 * One user's presence in a room through the bridge: JoinRoom plus a StreamAudio stream that
 * is re-established by itself (JoinRoom again, same parameters, then a new stream) whenever
 * the bridge becomes unavailable or restarts.
 *
 * Incoming room audio (PCM16LE, 16 kHz mono) arrives as 'audio' events and through audio()
 * iterators, across reconnections. dispose() stops everything at once; leave() tells the
 * bridge first.
 */
export class BridgeSession extends EventEmitter<SessionEvents> {
  readonly userId: string;
  readonly #internals: ClientInternals;
  readonly #backoff: Backoff | undefined;
  readonly #requestTimeoutMs: number;
  readonly #joinTimeoutMs: number;
  readonly #sendQueueLimit: number;
  readonly #receiveQueueLimit: number;
  readonly #sampleRate: number;
  readonly #channels: number;
  readonly #stableAfterMs: number;

  #state: SessionState = 'idle';
  #join: JoinOptions | undefined;
  /** The bridge of the last successful JoinRoom. */
  #endpoint: Endpoint | undefined;
  #stream: AudioStream | undefined;
  #connectedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #leaving = false;
  readonly #calls = new Set<Cancelable>();
  #sendQueue: PendingSend[] = [];
  #awaitingDrain: PendingSend | undefined;
  readonly #subscribers = new Set<BoundedAsyncQueue<Buffer>>();
  #droppedBySubscribersClosed = 0;
  readonly #stats = { receivedChunks: 0, receivedBytes: 0, sentChunks: 0, sentBytes: 0, droppedOutgoing: 0, reconnects: 0 };

  constructor(client: BridgeClient, userId: string, options: SessionOptions = {}) {
    super();
    const internals = clientInternals.get(client);
    if (internals === undefined) throw new TypeError('BridgeSession: not a BridgeClient');
    if (!userId) throw new TypeError('BridgeSession: userId is required');
    this.userId = userId;
    this.#internals = internals;
    this.#backoff = options.reconnect === false ? undefined : new Backoff({ ...internals.reconnect, ...options.reconnect });
    this.#requestTimeoutMs = options.requestTimeoutMs ?? internals.requestTimeoutMs;
    this.#joinTimeoutMs = options.joinTimeoutMs ?? internals.joinTimeoutMs;
    this.#sendQueueLimit = positiveInt('sendQueueLimit', options.sendQueueLimit ?? 10);
    this.#receiveQueueLimit = positiveInt('receiveQueueLimit', options.receiveQueueLimit ?? 100);
    this.#sampleRate = positiveInt('sampleRate', options.sampleRate ?? 16_000);
    this.#channels = positiveInt('channels', options.channels ?? 1);
    this.#stableAfterMs = options.stableAfterMs ?? 5_000;
    internals.register(userId, this, {
      endpoint: () => this.#endpoint,
      relocate: (error) => this.#relocate(error),
    });
  }

  get state(): SessionState {
    return this.#state;
  }

  stats(): SessionStats {
    let droppedIncoming = this.#droppedBySubscribersClosed;
    for (const s of this.#subscribers) droppedIncoming += s.dropped;
    return { ...this.#stats, droppedIncoming };
  }

  /**
   * JoinRoom, then opens the StreamAudio stream. Resolves with the bridge's answer once both
   * are done; rejects (state back to idle) with BridgeJoinError when the bridge refuses, or
   * BridgeRpcError when it cannot be reached. Reconnection starts only after a successful join.
   */
  async join(options: JoinOptions): Promise<JoinRoomResponse> {
    if (this.#state !== 'idle') throw new BridgeStateError(`join() in state ${this.#state}`);
    if (!options.room) throw new TypeError('join(): room is required');
    this.#join = { ...options };
    this.#setState('connecting');
    let response: JoinRoomResponse;
    try {
      response = await this.#joinRoom();
    } catch (error) {
      if (this.#current() === 'connecting' && !this.#leaving) {
        this.#dropQueuedSends(); // sent while connecting; there is no stream to take them
        this.#setState('idle');
      }
      throw error;
    }
    if (this.#current() !== 'connecting') throw new BridgeSessionClosedError('join()');
    const refused = this.#openStream();
    if (refused !== undefined) {
      // Joined, but no stream: re-join from here as after a lost stream (or end, without reconnect).
      if (this.#backoff === undefined) {
        this.#close('lost', refused);
        throw refused;
      }
      this.#setState('reconnecting');
      this.#scheduleReconnect(refused);
      return response;
    }
    this.#setState('connected');
    this.#pump(); // chunks sent while connecting
    this.emit('connected', response, { reconnected: false });
    return response;
  }

  /**
   * Sends PCM16LE into the room. Resolves true once the chunk is written to the stream and the
   * stream can take more (await it to follow backpressure), false when the chunk was dropped:
   * more than `sendQueueLimit` chunks were waiting (while backpressured or reconnecting), or
   * the session closed first. Rejects only when called before join().
   */
  sendAudio(pcm: Buffer | Uint8Array, options: SendAudioOptions = {}): Promise<boolean> {
    if (this.#state === 'idle') return Promise.reject(new BridgeStateError('sendAudio() before join()'));
    if (pcm.length % 2 !== 0) return Promise.reject(new RangeError('sendAudio(): PCM16 needs an even number of bytes'));
    if (this.#state === 'closed' || this.#leaving) {
      this.#stats.droppedOutgoing += 1;
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve) => {
      this.#sendQueue.push({
        message: {
          pcm_data: Buffer.isBuffer(pcm) ? pcm : Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength),
          sample_rate: options.sampleRate ?? this.#sampleRate,
          channels: options.channels ?? this.#channels,
          timestamp_ms: Date.now(),
        },
        bytes: pcm.length,
        resolve,
      });
      while (this.#sendQueue.length > this.#sendQueueLimit) {
        (this.#sendQueue.shift() as PendingSend).resolve(false);
        this.#stats.droppedOutgoing += 1;
      }
      this.#pump();
    });
  }

  /**
   * Incoming room audio as an async iterator of PCM16LE Buffers; it spans reconnections and
   * ends when the session closes (throwing the cause if it gave up reconnecting). Each iterator
   * keeps at most `limit` chunks (drop-oldest) when its consumer falls behind.
   */
  audio(options: { limit?: number } = {}): AsyncIterableIterator<Buffer> {
    const queue: BoundedAsyncQueue<Buffer> = new BoundedAsyncQueue<Buffer>(options.limit ?? this.#receiveQueueLimit, () => {
      if (this.#subscribers.delete(queue)) this.#droppedBySubscribersClosed += queue.dropped;
    });
    if (this.#state === 'closed') queue.end();
    else this.#subscribers.add(queue);
    return queue;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this.audio();
  }

  /**
   * Plays an audio URL into the room. Resolves when the bridge reports COMPLETED (also when
   * stopped or replaced: see `stopReason`); rejects with BridgePlaybackError on FAILED (its
   * message and `bridgeError` carry the bridge's reason, e.g. the HTTP status), BridgeRpcError
   * when the call fails, BridgeSessionClosedError when the session closes first.
   */
  play(audioUrl: string, options: PlayOptions = {}): Promise<PlayResult> {
    if (this.#state === 'closed') return Promise.reject(new BridgeSessionClosedError('play()'));
    const volume = options.volume ?? 1;
    if (!(volume > 0 && Number.isFinite(volume))) return Promise.reject(new RangeError(`play(): volume must be a finite gain > 0, got ${volume}`));
    const requestId = options.requestId ?? randomUUID();
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    let endpoint: Endpoint;
    try {
      endpoint = this.#callEndpoint('PlayAudio');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<PlayResult>((resolve, reject) => {
      const call = endpoint.raw.PlayAudio({
        request_id: requestId,
        audio_url: audioUrl,
        volume,
        stop_other: options.stopOther ?? false,
        user_id: this.userId,
        track_id: options.trackId ?? Track.SPEAKER,
      });
      this.#calls.add(call);
      let settled = false;
      const onAbort = (): void => {
        settle(() => reject(signal?.reason));
        call.cancel();
      };
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      call.on('data', (event: PlayAudioEvent) => {
        if (settled) return;
        switch (event.type) {
          case 'STARTED':
          case 'PROGRESS':
            options.onProgress?.(event);
            break;
          case 'COMPLETED':
            settle(() =>
              resolve({
                requestId,
                durationMs: event.duration_ms,
                positionMs: event.position_ms,
                // The upstream contract carries it in metadata; field 7 repeats it.
                stopReason: event.metadata?.stop_reason ?? event.stop_reason,
              }),
            );
            break;
          case 'FAILED':
            settle(() => reject(new BridgePlaybackError(requestId, audioUrl, event.error)));
            break;
        }
      });
      call.on('error', (error: unknown) => {
        // Our own cancel (the caller aborted) says nothing about the bridge's health.
        if (!this.#isClosed() && signal?.aborted !== true) void this.#internals.failed(endpoint, error);
        settle(() =>
          reject(this.#isClosed() ? new BridgeSessionClosedError('play()', { cause: error }) : BridgeRpcError.from('PlayAudio', error)),
        );
      });
      call.on('end', () => {
        settle(() => reject(new BridgePlaybackError(requestId, audioUrl, 'the bridge ended the event stream before COMPLETED or FAILED')));
      });
      call.on('status', () => {
        this.#calls.delete(call);
      });
    });
  }

  /**
   * StopAudio on one track, or on all tracks when omitted. Resolves with the request ids of the
   * playbacks that were stopped (empty when nothing played).
   */
  async stop(trackId: number = Track.ALL, reason = ''): Promise<string[]> {
    this.#assertNotClosed('stop()');
    const request = { user_id: this.userId, request_id: randomUUID(), reason, track_id: trackId };
    const response = await this.#unary<StopAudioResponse>('StopAudio', (raw, o, cb) => raw.StopAudio(request, o, cb));
    if (!response.success) throw new BridgeRequestError('StopAudio', response.error);
    return response.stopped_request_id === '' ? [] : response.stopped_request_id.split(',');
  }

  /** GetStatus for this user. */
  status(): Promise<BridgeStatusResponse> {
    this.#assertNotClosed('status()');
    return this.#unary<BridgeStatusResponse>('GetStatus', (raw, o, cb) => raw.GetStatus({ user_id: this.userId }, o, cb));
  }

  /** HealthCheck of the bridge. */
  health(): Promise<HealthCheckResponse> {
    this.#assertNotClosed('health()');
    return this.#unary<HealthCheckResponse>('HealthCheck', (raw, o, cb) => raw.HealthCheck({}, o, cb));
  }

  /**
   * Tells the bridge to leave the room (LeaveRoom), then disposes the session. Stops
   * reconnecting first. If LeaveRoom fails the session is closed anyway and the error is
   * rethrown (the bridge may still hold the room until it notices the stream is gone).
   */
  async leave(): Promise<void> {
    if (this.#state === 'closed' || this.#leaving) return;
    if (this.#state === 'idle') {
      this.#close('left');
      return;
    }
    this.#leaving = true;
    this.#clearTimer();
    for (const call of [...this.#calls]) call.cancel(); // e.g. a re-join in flight
    try {
      const raw = this.#callEndpoint('LeaveRoom').raw;
      const response = await unary<LeaveRoomResponse>('LeaveRoom', this.#requestTimeoutMs, (o, cb) => raw.LeaveRoom({ user_id: this.userId }, o, cb), this.#calls, () => this.#state === 'closed');
      if (!response.success) throw new BridgeRequestError('LeaveRoom', response.error);
    } finally {
      this.#close('left');
    }
  }

  /**
   * Stops everything now, in any state (also mid-reconnect): the retry timer, the stream, every
   * call in flight (their promises reject with BridgeSessionClosedError), pending sends
   * (resolve false), iterators (end) and all listeners after 'closed'. Does not call LeaveRoom.
   */
  dispose(): void {
    this.#close('disposed');
  }

  // --- internals -----------------------------------------------------------------------

  /** Closed, or leaving (calls then fail because the session cancelled them). */
  readonly #isClosed = (): boolean => this.#state === 'closed' || this.#leaving;

  /** The state, read through a call so TypeScript does not keep a narrowing across awaits. */
  #current(): SessionState {
    return this.#state;
  }

  #assertNotClosed(what: string): void {
    if (this.#state === 'closed') throw new BridgeSessionClosedError(what);
  }

  #setState(next: SessionState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.emit('state', next, previous);
  }

  async #joinRoom(): Promise<JoinRoomResponse> {
    const join = this.#join as JoinOptions;
    const provider = join.token;
    const token = typeof provider === 'function' ? await this.#bounded('JoinRoom (token)', Promise.resolve().then(() => provider())) : (provider ?? '');
    if (this.#state === 'closed' || this.#leaving) throw new BridgeSessionClosedError('JoinRoom');
    const request: JoinRoomRequestInput = {
      user_id: this.userId,
      room_name: join.room,
      token,
      livekit_url: join.url ?? '',
      target_identity: join.targetIdentity ?? '',
      subscribe_target_audio: join.subscribeTargetAudio ?? false,
    };
    // With several bridges: the one the placement chooses; when it turns out not to answer,
    // the next one at once (each at most once per attempt), else the error goes to the backoff.
    const tried = new Set<Endpoint>();
    let lastError: unknown;
    for (;;) {
      const endpoint = await this.#bounded('JoinRoom (choosing a bridge)', this.#internals.acquire(this.userId));
      if (this.#isClosed()) throw new BridgeSessionClosedError('JoinRoom');
      if (tried.has(endpoint)) throw lastError;
      tried.add(endpoint);
      let response: JoinRoomResponse;
      try {
        response = await unary<JoinRoomResponse>('JoinRoom', this.#joinTimeoutMs, (o, cb) => endpoint.raw.JoinRoom(request, o, cb), this.#calls, this.#isClosed);
      } catch (error) {
        if (this.#isClosed()) throw error;
        lastError = error;
        const moveOn = await this.#internals.failed(endpoint, error);
        if (!moveOn || tried.size >= this.#internals.endpointCount() || this.#isClosed()) throw error;
        continue;
      }
      if (!response.success) throw new BridgeJoinError(response.error);
      const previous = this.#endpoint;
      this.#endpoint = endpoint;
      this.#internals.joined(this.userId, previous, endpoint);
      return response;
    }
  }

  /**
   * Waits for `work` (the caller's token provider, the placement's DNS lookup and health checks)
   * for at most joinTimeoutMs, like the JoinRoom call itself; dispose() and leave() end the wait.
   * Without it a token provider that hangs kept join() pending for good, and a re-join in
   * 'reconnecting' with no timer and no event.
   */
  #bounded<T>(what: string, work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#calls.delete(waiting);
        settle();
      };
      const waiting: Cancelable = { cancel: () => finish(() => reject(new BridgeSessionClosedError(what))) };
      const timer = setTimeout(
        () => finish(() => reject(new BridgeRpcError(what, grpc.status.DEADLINE_EXCEEDED, `no answer within ${this.#joinTimeoutMs} ms`))),
        this.#joinTimeoutMs,
      );
      this.#calls.add(waiting);
      work.then(
        (value) => finish(() => resolve(value)),
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  /** The bridge for calls: the one joined through, else the one the placement would choose. */
  #callEndpoint(method: string): Endpoint {
    const endpoint = this.#endpoint ?? this.#internals.peek(this.userId);
    if (endpoint === undefined) throw new BridgeRpcError(method, grpc.status.UNAVAILABLE, 'no bridge address known yet');
    return endpoint;
  }

  /** A unary call on the session's bridge; a failure that may mean the bridge is gone is reported. */
  #unary<T>(
    method: string,
    start: (raw: LiveKitBridgeClient, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, value?: T) => void) => grpc.ClientUnaryCall,
  ): Promise<T> {
    let endpoint: Endpoint;
    try {
      endpoint = this.#callEndpoint(method);
    } catch (error) {
      return Promise.reject(error);
    }
    return unary<T>(method, this.#requestTimeoutMs, (o, cb) => start(endpoint.raw, o, cb), this.#calls, this.#isClosed, (error) => {
      void this.#internals.failed(endpoint, error);
    });
  }

  /**
   * Opens the StreamAudio call on the joined bridge. Returns the error, without throwing, when the
   * channel refuses to start it (grpc-js throws on a channel already closed, e.g. a bridge address
   * that left DNS while the join was in flight): the caller re-joins as after a lost stream.
   */
  #openStream(): Error | undefined {
    const metadata = new grpc.Metadata();
    metadata.set('user-id', this.userId);
    const endpoint = this.#endpoint as Endpoint;
    let stream: AudioStream;
    try {
      stream = endpoint.raw.StreamAudio(metadata);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return new BridgeRpcError('StreamAudio', grpc.status.UNAVAILABLE, `cannot open the audio stream on ${endpoint.address}: ${why}`);
    }
    this.#stream = stream;
    this.#connectedAt = Date.now();
    stream.on('data', (chunk: AudioChunk) => this.#onAudio(chunk));
    // grpc-js reports a non-OK end as 'error' and then every end as 'status': act on 'status'.
    stream.on('error', noop);
    stream.on('status', (status: grpc.StatusObject) => {
      const details = status.code === grpc.status.OK ? 'the bridge ended the stream' : status.details;
      const error = new BridgeRpcError('StreamAudio', status.code, details);
      // Reported first, so that the bridge's health check is under way before the re-join.
      if (this.#stream === stream && !this.#isClosed()) void this.#internals.failed(endpoint, error);
      this.#onStreamLost(stream, error);
    });
    // The first message names the session: only user_id set.
    stream.write({ user_id: this.userId });
    return undefined;
  }

  #onAudio(chunk: AudioChunk): void {
    const pcm = chunk.pcm_data;
    if (pcm.length === 0) return;
    this.#stats.receivedChunks += 1;
    this.#stats.receivedBytes += pcm.length;
    for (const subscriber of this.#subscribers) subscriber.push(pcm);
    this.emit('audio', pcm, {
      sampleRate: chunk.sample_rate || 16_000,
      channels: chunk.channels || 1,
      timestampMs: chunk.timestamp_ms,
      source: chunk.source === 'MICROPHONE' ? 'MICROPHONE' : 'DATA_PACKET',
    });
  }

  #detachStream(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    this.#stream = undefined;
    stream.removeAllListeners();
    stream.on('error', noop); // cancel() reports CANCELLED as an error; keep it from being unhandled
    stream.cancel();
    // A chunk waiting for 'drain' was handed to the stream; its caller may go on.
    const waiting = this.#awaitingDrain;
    this.#awaitingDrain = undefined;
    waiting?.resolve(true);
  }

  #onStreamLost(stream: AudioStream, error: Error): void {
    if (this.#stream !== stream) return;
    this.#detachStream();
    if (this.#state === 'closed' || this.#leaving) return;
    if (this.#backoff === undefined) {
      this.#close('lost', error);
      return;
    }
    if (Date.now() - this.#connectedAt >= this.#stableAfterMs) this.#backoff.reset();
    this.#setState('reconnecting');
    this.#scheduleReconnect(error);
  }

  /** The client found this session's bridge down: re-join elsewhere, as if the stream broke. */
  #relocate(error: Error): void {
    const stream = this.#stream;
    if (this.#state !== 'connected' || stream === undefined || this.#leaving) return;
    this.#onStreamLost(stream, error);
  }

  #scheduleReconnect(error: Error): void {
    const backoff = this.#backoff as Backoff;
    const delayMs = backoff.next();
    if (delayMs === undefined) {
      this.#close('gave-up', error);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Never an unhandled rejection (it would end the host process): whatever escaped, try again.
      this.#reconnect().catch((escaped: unknown) => {
        if (this.#state === 'reconnecting' && !this.#leaving && this.#timer === undefined) {
          this.#scheduleReconnect(escaped instanceof Error ? escaped : new BridgeError(String(escaped)));
        }
      });
    }, delayMs);
    this.emit('reconnecting', { attempt: backoff.attempt, delayMs, error });
  }

  async #reconnect(): Promise<void> {
    if (this.#state !== 'reconnecting' || this.#leaving) return;
    let response: JoinRoomResponse;
    try {
      response = await this.#joinRoom();
    } catch (error) {
      if (this.#state !== 'reconnecting' || this.#leaving) return;
      this.#scheduleReconnect(error instanceof Error ? error : new BridgeError(String(error)));
      return;
    }
    if (this.#state !== 'reconnecting' || this.#leaving) return;
    const refused = this.#openStream();
    if (refused !== undefined) {
      this.#scheduleReconnect(refused);
      return;
    }
    this.#stats.reconnects += 1;
    this.#setState('connected');
    this.#pump(); // chunks sent while reconnecting
    this.emit('connected', response, { reconnected: true });
  }

  #pump(): void {
    const stream = this.#stream;
    while (stream !== undefined && this.#state === 'connected' && this.#awaitingDrain === undefined && this.#sendQueue.length > 0) {
      const item = this.#sendQueue.shift() as PendingSend;
      const ready = stream.write(item.message);
      this.#stats.sentChunks += 1;
      this.#stats.sentBytes += item.bytes;
      if (ready) {
        item.resolve(true);
      } else {
        this.#awaitingDrain = item;
        stream.once('drain', () => {
          if (this.#stream !== stream || this.#awaitingDrain !== item) return;
          this.#awaitingDrain = undefined;
          item.resolve(true);
          this.#pump();
        });
      }
    }
  }

  #dropQueuedSends(): void {
    const pending = this.#sendQueue;
    this.#sendQueue = [];
    for (const item of pending) {
      this.#stats.droppedOutgoing += 1;
      item.resolve(false);
    }
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #close(reason: CloseReason, error?: Error): void {
    if (this.#state === 'closed') return;
    const previous = this.#state;
    this.#state = 'closed';
    this.#clearTimer();
    this.#detachStream();
    for (const call of [...this.#calls]) call.cancel();
    this.#calls.clear();
    this.#dropQueuedSends();
    for (const subscriber of this.#subscribers) {
      this.#droppedBySubscribersClosed += subscriber.dropped;
      subscriber.end(reason === 'gave-up' || reason === 'lost' ? new BridgeSessionClosedError('audio()', { cause: error }) : undefined);
    }
    this.#subscribers.clear();
    this.#internals.unregister(this.userId, this);
    this.emit('state', 'closed', previous);
    this.emit('closed', error === undefined ? { reason } : { reason, error });
    this.removeAllListeners();
  }
}

function noop(): void {}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  return value;
}
