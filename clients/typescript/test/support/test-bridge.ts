/**
 * A real gRPC server implementing the bridge's proto with @grpc/grpc-js, in the test process,
 * on 127.0.0.1. It records what clients send and answers with scripted but protocol-correct
 * behaviour; it can be stopped and started again on the same port like a restarting bridge.
 */
import * as grpc from '@grpc/grpc-js';
import {
  loadBridgeService,
  type AudioChunk,
  type AudioChunkInput,
  type JoinRoomRequest,
  type JoinRoomResponseInput,
  type LiveKitBridgeHandlers,
  type PlayAudioEventInput,
  type PlayAudioRequest,
  type StopAudioRequest,
} from '@mentra/livekit-bridge-client/proto';

export interface StreamRecord {
  /** The `user-id` call metadata. */
  metadataUserId: string | undefined;
  /** The first message (names the session). */
  first: AudioChunk | undefined;
  /** Every later message. */
  chunks: AudioChunk[];
  call: grpc.ServerDuplexStream<AudioChunk, AudioChunkInput>;
  /** The client cancelled the call or the connection went away. */
  cancelled: boolean;
  /** The call is over (cancelled, or ended by either side). */
  closed: boolean;
}

export type JoinBehaviour = (request: JoinRoomRequest) => JoinRoomResponseInput | 'hang' | Promise<JoinRoomResponseInput>;

export class TestBridge {
  port = 0;
  readonly joins: JoinRoomRequest[] = [];
  readonly leaves: string[] = [];
  readonly stops: StopAudioRequest[] = [];
  readonly plays: PlayAudioRequest[] = [];
  readonly streams: StreamRecord[] = [];
  /** JoinRoom calls left unanswered by a 'hang' behaviour, and whether each was cancelled. */
  readonly hangingJoins: { request: JoinRoomRequest; cancelled: boolean }[] = [];
  /** PlayAudio calls the client cancelled. */
  playsCancelled = 0;
  join: JoinBehaviour = (request) => ({ success: true, participant_id: `PA_${request.user_id}`, participant_count: 2 });
  /** How HealthCheck answers: SERVING, NOT_SERVING, or not at all ('hang', like a stalled bridge). */
  healthAnswer: 'SERVING' | 'NOT_SERVING' | 'hang' = 'SERVING';
  /** HealthCheck calls received. */
  healthChecks = 0;
  #server: grpc.Server | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();

  /** `host`: any loopback address (127.0.0.0/8), so that several bridges can share a port. */
  constructor(readonly host = '127.0.0.1') {}

  /** Starts listening (on the previous port when restarting); returns the port. */
  async start(port: number = this.port): Promise<number> {
    if (this.#server !== undefined) throw new Error('already started');
    const server = new grpc.Server();
    server.addService(loadBridgeService(), this.#handlers());
    this.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${this.host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
    this.#server = server;
    return this.port;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.#server !== undefined;
  }

  /** Kills every connection and call at once, like a crashing bridge. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#server?.forceShutdown();
    this.#server = undefined;
  }

  /** Open StreamAudio calls of `userId`. */
  openStreams(userId: string): StreamRecord[] {
    return this.streams.filter((s) => !s.closed && s.first?.user_id === userId);
  }

  /** Writes PCM to every open stream of `userId`; returns how many streams got it. */
  sendAudio(userId: string, pcm: Buffer, timestampMs = Date.now(), source: 'DATA_PACKET' | 'MICROPHONE' = 'DATA_PACKET'): number {
    const open = this.openStreams(userId);
    for (const s of open) s.call.write({ pcm_data: pcm, sample_rate: 16000, channels: 1, timestamp_ms: timestampMs, user_id: userId, source });
    return open.length;
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #handlers(): LiveKitBridgeHandlers {
    return {
      JoinRoom: (call, callback) => {
        this.joins.push(call.request);
        const answer = this.join(call.request);
        if (answer === 'hang') {
          const entry = { request: call.request, cancelled: false };
          this.hangingJoins.push(entry);
          call.on('cancelled', () => {
            entry.cancelled = true;
          });
          return;
        }
        if (answer instanceof Promise) {
          void answer.then((late) => callback(null, late));
          return;
        }
        callback(null, answer);
      },
      LeaveRoom: (call, callback) => {
        this.leaves.push(call.request.user_id);
        callback(null, { success: true });
      },
      StreamAudio: (call) => {
        const record: StreamRecord = {
          metadataUserId: call.metadata.get('user-id')[0]?.toString(),
          first: undefined,
          chunks: [],
          call,
          cancelled: false,
          closed: false,
        };
        this.streams.push(record);
        call.on('data', (chunk: AudioChunk) => {
          if (record.first === undefined) record.first = chunk;
          else record.chunks.push(chunk);
        });
        call.on('cancelled', () => {
          record.cancelled = true;
          record.closed = true;
        });
        call.on('error', () => {
          record.closed = true;
        });
        call.on('end', () => {
          record.closed = true;
          call.end();
        });
      },
      PlayAudio: (call) => {
        const request = call.request;
        this.plays.push(request);
        call.on('cancelled', () => {
          this.playsCancelled += 1;
        });
        const send = (event: PlayAudioEventInput): void => {
          if (!call.cancelled) call.write({ request_id: request.request_id, ...event });
        };
        const path = new URL(request.audio_url).pathname;
        if (path === '/missing.mp3') {
          this.#later(5, () => {
            send({ type: 'FAILED', error: `HTTP 404 Not Found fetching ${request.audio_url}` });
            call.end();
          });
        } else if (path === '/stopped.mp3') {
          send({ type: 'STARTED', duration_ms: 5000 });
          this.#later(5, () => {
            send({ type: 'COMPLETED', duration_ms: 5000, position_ms: 1200, metadata: { stop_reason: 'stopped' }, stop_reason: 'stopped' });
            call.end();
          });
        } else if (path === '/forever.mp3') {
          send({ type: 'STARTED', duration_ms: 600_000 });
        } else if (path === '/no-terminal.mp3') {
          send({ type: 'STARTED', duration_ms: 300 });
          this.#later(5, () => call.end());
        } else {
          send({ type: 'STARTED', duration_ms: 300 });
          this.#later(5, () => send({ type: 'PROGRESS', duration_ms: 300, position_ms: 100 }));
          this.#later(10, () => send({ type: 'PROGRESS', duration_ms: 300, position_ms: 200 }));
          this.#later(15, () => {
            send({ type: 'COMPLETED', duration_ms: 300, position_ms: 300 });
            call.end();
          });
        }
      },
      StopAudio: (call, callback) => {
        this.stops.push(call.request);
        callback(null, call.request.track_id === 7 ? { success: false, error: 'no such track 7' } : { success: true });
      },
      HealthCheck: (_call, callback) => {
        this.healthChecks += 1;
        if (this.healthAnswer === 'hang') return;
        if (this.healthAnswer === 'NOT_SERVING') {
          callback(null, { status: 'NOT_SERVING', active_sessions: this.openStreamsCount(), active_streams: this.openStreamsCount(), uptime_seconds: 42 });
          return;
        }
        callback(null, { status: 'SERVING', active_sessions: this.openStreamsCount(), active_streams: this.openStreamsCount(), uptime_seconds: 42 });
      },
      GetStatus: (call, callback) => {
        const open = this.openStreams(call.request.user_id).length > 0;
        callback(null, {
          connected: open,
          participant_id: open ? `PA_${call.request.user_id}` : '',
          participant_count: open ? 2 : 0,
          server_version: 'test-bridge',
          connection_state: open ? 'CONNECTED' : 'DISCONNECTED',
          dropped_chunks: 0,
          last_disconnect_at: 1_700_000_000_000,
        });
      },
    };
  }

  openStreamsCount(): number {
    return this.streams.filter((s) => !s.closed).length;
  }
}

/** `ms` of a 16 kHz mono PCM16LE sine at `dbfs` (RMS, relative to full scale). */
export function sine(ms: number, dbfs: number, frequencyHz = 440, sampleRate = 16000): Buffer {
  const samples = Math.round((ms * sampleRate) / 1000);
  const amplitude = Math.SQRT2 * 10 ** (dbfs / 20) * 32767;
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    pcm.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate)), i * 2);
  }
  return pcm;
}
