/**
 * The bridge's API contract: where the shipped .proto is, how it is loaded, and the types
 * generated from it at build time (`proto-loader-gen-types`, see scripts/gen.mjs).
 *
 * Field names are the proto's snake_case (`keepCase: true`), int64 fields are JS numbers,
 * enums are their names as strings, and received messages have every field set (defaults).
 * The generated types describe exactly these runtime shapes.
 *
 * Import this module as `@mentra/livekit-bridge-client/proto`, e.g. to implement a test
 * server with `@grpc/grpc-js`:
 *
 * ```ts
 * const server = new grpc.Server();
 * server.addService(loadBridgeService(), handlers satisfies LiveKitBridgeHandlers);
 * ```
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/livekit_bridge.js';
import type {
  LiveKitBridgeClient,
  LiveKitBridgeDefinition,
} from './generated/mentra/livekit/bridge/LiveKitBridge.js';

export type {
  LiveKitBridgeClient,
  LiveKitBridgeDefinition,
  LiveKitBridgeHandlers,
} from './generated/mentra/livekit/bridge/LiveKitBridge.js';
export type { AudioChunk, AudioChunkInput } from './generated/mentra/livekit/bridge/AudioChunk.js';
export type { JoinRoomRequest, JoinRoomRequestInput } from './generated/mentra/livekit/bridge/JoinRoomRequest.js';
export type { JoinRoomResponse, JoinRoomResponseInput } from './generated/mentra/livekit/bridge/JoinRoomResponse.js';
export type { LeaveRoomRequest, LeaveRoomRequestInput } from './generated/mentra/livekit/bridge/LeaveRoomRequest.js';
export type { LeaveRoomResponse, LeaveRoomResponseInput } from './generated/mentra/livekit/bridge/LeaveRoomResponse.js';
export type { PlayAudioRequest, PlayAudioRequestInput } from './generated/mentra/livekit/bridge/PlayAudioRequest.js';
export type {
  PlayAudioEvent,
  PlayAudioEventInput,
  _mentra_livekit_bridge_PlayAudioEvent_EventType as PlayAudioEventType,
} from './generated/mentra/livekit/bridge/PlayAudioEvent.js';
export type { StopAudioRequest, StopAudioRequestInput } from './generated/mentra/livekit/bridge/StopAudioRequest.js';
export type { StopAudioResponse, StopAudioResponseInput } from './generated/mentra/livekit/bridge/StopAudioResponse.js';
export type { HealthCheckRequest, HealthCheckRequestInput } from './generated/mentra/livekit/bridge/HealthCheckRequest.js';
export type {
  HealthCheckResponse,
  HealthCheckResponseInput,
  _mentra_livekit_bridge_HealthCheckResponse_ServingStatus as ServingStatus,
} from './generated/mentra/livekit/bridge/HealthCheckResponse.js';
export type { BridgeStatusRequest, BridgeStatusRequestInput } from './generated/mentra/livekit/bridge/BridgeStatusRequest.js';
export type { BridgeStatusResponse, BridgeStatusResponseInput } from './generated/mentra/livekit/bridge/BridgeStatusResponse.js';

/** Absolute path of the `livekit_bridge.proto` shipped with this package. */
export const PROTO_PATH: string = fileURLToPath(new URL('../proto/livekit_bridge.proto', import.meta.url));

/** Fully qualified name of the service. */
export const SERVICE_NAME = 'mentra.livekit.bridge.LiveKitBridge';

/**
 * The options this package loads the .proto with. The generated types match them; keep
 * scripts/gen.mjs in step when changing them.
 */
export const PROTO_LOADER_OPTIONS: Readonly<protoLoader.Options> = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

let cached: ProtoGrpcType | undefined;

function loadPackage(): ProtoGrpcType {
  if (cached === undefined) {
    const definition = protoLoader.loadSync(PROTO_PATH, { ...PROTO_LOADER_OPTIONS });
    // The cast is the contract between proto-loader-gen-types and proto-loader: the
    // generated ProtoGrpcType describes what loadPackageDefinition returns for this file.
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}

/** The service definition, for `grpc.Server#addService` (typed handlers: `LiveKitBridgeHandlers`). */
export function loadBridgeService(): LiveKitBridgeDefinition {
  return loadPackage().mentra.livekit.bridge.LiveKitBridge.service;
}

/**
 * A raw, generated gRPC client for the bridge. `BridgeClient` wraps one of these; use the raw
 * client only for calls the wrapper does not offer.
 */
export function createRawClient(
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Readonly<Record<string, string | number>>,
  interceptors: readonly grpc.Interceptor[] = [],
): LiveKitBridgeClient {
  const Ctor = loadPackage().mentra.livekit.bridge.LiveKitBridge;
  const clientOptions: grpc.ClientOptions = { ...options };
  if (interceptors.length > 0) clientOptions.interceptors = [...interceptors];
  return new Ctor(address, credentials, clientOptions);
}
