export { BridgeClient, type BridgeClientOptions, type KeepaliveOptions, type RequestOptions } from './client.js';
export type { BridgeInfo, BridgeState, HealthCheckOptions } from './pool.js';
export { rendezvousOrder, rendezvousWeight } from './placement.js';
export {
  BridgeSession,
  Track,
  type AudioMeta,
  type AudioChunkSource,
  type CloseInfo,
  type CloseReason,
  type JoinOptions,
  type PlayOptions,
  type PlayResult,
  type ReconnectInfo,
  type SendAudioOptions,
  type SessionEvents,
  type SessionOptions,
  type SessionState,
  type SessionStats,
  type TokenSource,
} from './session.js';
export { Pacer, type PacerEvents, type PacerOptions, type PacerSink, type PacerStats } from './pacer.js';
export { Backoff, DEFAULT_BACKOFF, backoffDelay, resolveBackoffOptions, type BackoffOptions } from './backoff.js';
export { LevelMeter, formatDbfs, pcm16Dbfs, type Level } from './levels.js';
export {
  BridgeError,
  BridgeJoinError,
  BridgePlaybackError,
  BridgeRequestError,
  BridgeRpcError,
  BridgeSessionClosedError,
  BridgeStateError,
  parseHttpStatus,
} from './errors.js';
export type {
  AudioChunk,
  BridgeStatusResponse,
  HealthCheckResponse,
  JoinRoomResponse,
  PlayAudioEvent,
  PlayAudioEventType,
  ServingStatus,
} from './proto.js';
