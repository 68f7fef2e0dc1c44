/**
 * BridgeSession against a real gRPC server (TestBridge: @grpc/grpc-js on 127.0.0.1 implementing
 * the bridge's proto), including restarts of that server on the same port.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  BridgeClient,
  BridgeJoinError,
  BridgePlaybackError,
  BridgeRequestError,
  BridgeRpcError,
  BridgeSessionClosedError,
  BridgeStateError,
  Track,
  type BridgeSession,
  type JoinOptions,
  type PlayAudioEvent,
  type ReconnectInfo,
  type SessionState,
} from '@mentra/livekit-bridge-client';
import { TestBridge, sine } from '../support/test-bridge.js';
import { nextEvent, sleep, waitFor } from '../support/wait.js';

const JOIN: JoinOptions = {
  room: 'room-1',
  token: 'token-abc',
  url: 'ws://livekit.test:7880',
  targetIdentity: 'glasses-1',
  subscribeTargetAudio: true,
};

const FAST_RECONNECT = { initialDelayMs: 50, maxDelayMs: 400, jitter: 0.2 };

async function setup(t: TestContext, options: { reconnect?: typeof FAST_RECONNECT } = {}): Promise<{ bridge: TestBridge; client: BridgeClient }> {
  const bridge = new TestBridge();
  await bridge.start();
  const client = new BridgeClient({ address: bridge.address, reconnect: options.reconnect ?? FAST_RECONNECT, requestTimeoutMs: 3000, joinTimeoutMs: 3000 });
  t.after(() => {
    client.close();
    bridge.stop();
  });
  return { bridge, client };
}

function recordStates(session: BridgeSession): SessionState[] {
  const states: SessionState[] = [session.state];
  session.on('state', (state) => states.push(state));
  return states;
}

test('join() sends JoinRoom with the parameters, then opens StreamAudio naming the user', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  const states = recordStates(session);
  const connected = nextEvent(session, 'connected');
  const response = await session.join(JOIN);

  assert.equal(response.success, true);
  assert.equal(response.participant_id, 'PA_user-1');
  assert.equal(response.participant_count, 2);
  assert.deepEqual(bridge.joins, [
    { user_id: 'user-1', room_name: 'room-1', token: 'token-abc', livekit_url: 'ws://livekit.test:7880', target_identity: 'glasses-1', subscribe_target_audio: true },
  ]);
  const [, details] = await connected;
  assert.deepEqual(details, { reconnected: false });
  assert.deepEqual(states, ['idle', 'connecting', 'connected']);

  await waitFor('the first StreamAudio message', () => bridge.streams[0]?.first !== undefined);
  const stream = bridge.streams[0];
  assert.equal(stream?.metadataUserId, 'user-1');
  assert.deepEqual(stream?.first, { pcm_data: Buffer.alloc(0), sample_rate: 0, channels: 0, timestamp_ms: 0, user_id: 'user-1', track_id: 0, source: 'DATA_PACKET' });
  assert.equal(session.state, 'connected');
  await assert.rejects(session.join(JOIN), BridgeStateError);
  assert.throws(() => client.session('user-1'), BridgeStateError, 'one open session per user');
});

test('incoming audio arrives as Buffer events and through the async iterator', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  const events: { pcm: Buffer; sampleRate: number; channels: number; timestampMs: number; source: string }[] = [];
  session.on('audio', (pcm, meta) => events.push({ pcm, ...meta }));
  const iterator = session.audio();
  await session.join(JOIN);
  await waitFor('stream open', () => bridge.openStreams('user-1').some((s) => s.first !== undefined));

  const chunks = [sine(100, -20), sine(100, -10), sine(40, -30)];
  for (const [i, pcm] of chunks.entries()) bridge.sendAudio('user-1', pcm, 1000 + i, i === 1 ? 'MICROPHONE' : 'DATA_PACKET');
  const fromIterator: Buffer[] = [];
  for await (const pcm of iterator) {
    fromIterator.push(pcm);
    if (fromIterator.length === 3) break;
  }
  assert.deepEqual(fromIterator, chunks);
  assert.deepEqual(
    events.map((e) => [e.pcm, e.sampleRate, e.channels, e.timestampMs, e.source]),
    chunks.map((pcm, i) => [pcm, 16000, 1, 1000 + i, i === 1 ? 'MICROPHONE' : 'DATA_PACKET']),
  );
  assert.equal(session.stats().receivedChunks, 3);
  assert.equal(session.stats().receivedBytes, 3200 + 3200 + 1280);
});

test('sendAudio() publishes PCM16 with sample_rate and channels, following backpressure without unbounded buffering', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1', { sendQueueLimit: 4 });
  await session.join(JOIN);
  await waitFor('stream open', () => bridge.streams[0]?.first !== undefined);
  const stream = bridge.streams[0];
  assert.ok(stream);

  for (let i = 0; i < 5; i++) assert.equal(await session.sendAudio(Buffer.alloc(3200, i)), true);
  await waitFor('5 chunks at the bridge', () => stream.chunks.length === 5);
  assert.deepEqual(
    stream.chunks.map((c) => [c.pcm_data[0], c.pcm_data.length, c.sample_rate, c.channels, c.user_id]),
    [0, 1, 2, 3, 4].map((i) => [i, 3200, 16000, 1, '']),
  );
  assert.ok(stream.chunks.every((c) => Math.abs(c.timestamp_ms - Date.now()) < 5000));
  assert.equal(await session.sendAudio(Buffer.alloc(960), { sampleRate: 48000, channels: 2 }), true);
  await waitFor('6th chunk', () => stream.chunks.length === 6);
  assert.deepEqual([stream.chunks[5]?.sample_rate, stream.chunks[5]?.channels], [48000, 2]);
  await assert.rejects(session.sendAudio(Buffer.alloc(3)), RangeError);

  // The bridge stops reading: HTTP/2 flow control fills up, writes stop completing.
  stream.call.pause();
  const big = Buffer.alloc(64 * 1024);
  let resolvedTrue = 0;
  let blocked = false;
  for (let i = 0; i < 200; i++) {
    const sent = await Promise.race([session.sendAudio(big), sleep(300).then(() => 'blocked' as const)]);
    if (sent === 'blocked') {
      blocked = true;
      break;
    }
    resolvedTrue += 1;
  }
  assert.ok(blocked, `sendAudio() must stop resolving when the bridge does not read (resolved ${resolvedTrue})`);
  assert.ok(resolvedTrue < 200);
  // Callers that do not await: at most sendQueueLimit chunks wait, the oldest ones are dropped.
  const before = session.stats().droppedOutgoing;
  const flood = Array.from({ length: 10 }, () => session.sendAudio(big));
  const settled = await Promise.race([Promise.all(flood.slice(0, 6)), sleep(1000).then(() => 'pending' as const)]);
  assert.deepEqual(settled, [false, false, false, false, false, false], 'the 6 oldest of 10 queued chunks are dropped');
  assert.equal(session.stats().droppedOutgoing - before, 6);

  // Reading again drains everything that was kept.
  stream.call.resume();
  assert.deepEqual(await Promise.all(flood.slice(6)), [true, true, true, true]);
  assert.equal(await session.sendAudio(Buffer.alloc(3200)), true);
});

test('a refused join rejects with BridgeJoinError and the session can join again', async (t) => {
  const { bridge, client } = await setup(t);
  bridge.join = () => ({ success: false, error: 'invalid token: signature mismatch' });
  const session = client.session('user-1');
  const joining = session.join(JOIN);
  const sentWhileJoining = session.sendAudio(Buffer.alloc(320));
  await assert.rejects(joining, (error: unknown) => {
    assert.ok(error instanceof BridgeJoinError);
    assert.equal(error.bridgeError, 'invalid token: signature mismatch');
    assert.match(error.message, /signature mismatch/);
    return true;
  });
  assert.equal(session.state, 'idle');
  assert.equal(await sentWhileJoining, false, 'a chunk queued during a failed join is dropped');
  await assert.rejects(session.sendAudio(Buffer.alloc(2)), BridgeStateError);
  bridge.join = () => ({ success: true, participant_id: 'PA_2', participant_count: 1 });
  assert.equal((await session.join(JOIN)).participant_id, 'PA_2');
});

test('join() to an unreachable bridge rejects with BridgeRpcError UNAVAILABLE', async (t) => {
  const { bridge, client } = await setup(t);
  bridge.stop();
  const session = client.session('user-1');
  await assert.rejects(session.join(JOIN), (error: unknown) => error instanceof BridgeRpcError && error.codeName === 'UNAVAILABLE');
  assert.equal(session.state, 'idle');
  assert.equal(bridge.joins.length, 0);
});

test('a token provider that never answers: join() rejects DEADLINE_EXCEEDED after joinTimeoutMs, and dispose() ends the wait at once', async (t) => {
  // The token provider (an HTTP call in the backend) used to be awaited without a bound:
  // join() stayed pending for good, and a re-join sat in 'reconnecting' with no timer.
  const { bridge, client } = await setup(t); // joinTimeoutMs 3000
  const hanging = client.session('user-1');
  const started = Date.now();
  await assert.rejects(hanging.join({ ...JOIN, token: () => new Promise<string>(() => {}) }), (error: unknown) => error instanceof BridgeRpcError && error.codeName === 'DEADLINE_EXCEEDED' && /token/.test(error.message));
  const waited = Date.now() - started;
  assert.ok(waited >= 2900 && waited < 10_000, `rejected after ${waited} ms`);
  assert.equal(hanging.state, 'idle');
  assert.equal(bridge.joins.length, 0);

  const disposed = client.session('user-2');
  const joining = disposed.join({ ...JOIN, token: () => new Promise<string>(() => {}) });
  await sleep(100);
  const disposedAt = Date.now();
  disposed.dispose();
  await assert.rejects(joining, BridgeSessionClosedError);
  assert.ok(Date.now() - disposedAt < 1000, 'dispose() ended the wait');
});

test('play() reports progress and resolves on COMPLETED; the request carries the options', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  const progress: PlayAudioEvent[] = [];
  const result = await session.play('https://media.test/ok.mp3', {
    volume: 1.5,
    trackId: Track.TTS,
    stopOther: true,
    requestId: 'req-1',
    onProgress: (event) => progress.push(event),
  });
  assert.deepEqual(result, { requestId: 'req-1', durationMs: 300, positionMs: 300, stopReason: '' });
  assert.deepEqual(
    progress.map((e) => [e.type, e.position_ms]),
    [['STARTED', 0], ['PROGRESS', 100], ['PROGRESS', 200]],
  );
  assert.deepEqual(bridge.plays[0], { request_id: 'req-1', audio_url: 'https://media.test/ok.mp3', volume: 1.5, stop_other: true, user_id: 'user-1', track_id: 2 });

  const stopped = await session.play('https://media.test/stopped.mp3');
  assert.equal(stopped.stopReason, 'stopped');
  assert.equal(stopped.positionMs, 1200);
  assert.match(stopped.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(bridge.plays[1]?.volume, 1);
  assert.equal(bridge.plays[1]?.track_id, 0);
  await assert.rejects(session.play('https://media.test/ok.mp3', { volume: 0 }), RangeError);
  await assert.rejects(session.play('https://media.test/ok.mp3', { volume: Number.NaN }), RangeError);
});

test('play() rejects with BridgePlaybackError naming the HTTP status on FAILED', async (t) => {
  const { client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  await assert.rejects(session.play('https://media.test/missing.mp3', { requestId: 'req-404' }), (error: unknown) => {
    assert.ok(error instanceof BridgePlaybackError);
    assert.equal(error.requestId, 'req-404');
    assert.equal(error.httpStatus, 404);
    assert.match(error.message, /HTTP 404 Not Found/);
    assert.equal(error.bridgeError, 'HTTP 404 Not Found fetching https://media.test/missing.mp3');
    return true;
  });
  await assert.rejects(session.play('https://media.test/no-terminal.mp3'), BridgePlaybackError);
});

test('play() can be aborted, and dispose() rejects it with BridgeSessionClosedError', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  const controller = new AbortController();
  const aborted = session.play('https://media.test/forever.mp3', { signal: controller.signal });
  await waitFor('play started', () => bridge.plays.length === 1);
  controller.abort(new Error('user skipped'));
  await assert.rejects(aborted, /user skipped/);
  await waitFor('bridge saw the cancel', () => bridge.playsCancelled === 1);

  const pending = session.play('https://media.test/forever.mp3');
  await waitFor('second play started', () => bridge.plays.length === 2);
  session.dispose();
  await assert.rejects(pending, BridgeSessionClosedError);
  await waitFor('bridge saw the second cancel', () => bridge.playsCancelled === 2);
});

test('stop(), status() and health()', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  await session.stop();
  await session.stop(Track.APP_AUDIO);
  assert.deepEqual(bridge.stops.map((s) => [s.user_id, s.track_id]), [['user-1', -1], ['user-1', 1]]);
  assert.ok(bridge.stops.every((s) => typeof s.request_id === 'string' && s.request_id.length > 0), 'each stop names its request');
  await assert.rejects(session.stop(7), (error: unknown) => error instanceof BridgeRequestError && error.bridgeError === 'no such track 7');

  await waitFor('stream open', () => bridge.openStreams('user-1').length === 1);
  const status = await session.status();
  assert.equal(status.connected, true);
  assert.equal(status.connection_state, 'CONNECTED');
  assert.equal(status.last_disconnect_at, 1_700_000_000_000);
  assert.equal(typeof status.dropped_chunks, 'number');
  const health = await session.health();
  assert.equal(health.status, 'SERVING');
  assert.equal(health.uptime_seconds, 42);
  assert.deepEqual(await client.health(), health);
  assert.equal((await client.status('nobody')).connected, false);
});

test('when the bridge restarts on the same port the session re-joins with the same parameters and re-opens its stream', async (t) => {
  const { bridge, client } = await setup(t);
  let tokens = 0;
  const session = client.session('user-1');
  const states = recordStates(session);
  const reconnecting: ReconnectInfo[] = [];
  session.on('reconnecting', (info) => reconnecting.push(info));
  const iterator = session.audio();
  await session.join({ ...JOIN, token: () => `token-${++tokens}` });
  await waitFor('stream 1', () => bridge.openStreams('user-1').length === 1);
  bridge.sendAudio('user-1', Buffer.alloc(320, 1));
  assert.equal((await iterator.next()).value?.[0], 1);

  bridge.stop(); // the bridge dies
  await waitFor('reconnecting', () => session.state === 'reconnecting');
  await sleep(500); // a few attempts fail while it is down
  assert.ok(reconnecting.length >= 2, `attempts while down: ${reconnecting.length}`);
  assert.equal(reconnecting[0]?.attempt, 1);
  // grpc-js's forceShutdown resets the streams (CANCELLED); a killed process gives UNAVAILABLE.
  assert.ok(reconnecting[0]?.error instanceof BridgeRpcError && reconnecting[0].error.method === 'StreamAudio', String(reconnecting[0]?.error));
  assert.ok(reconnecting[1]?.error instanceof BridgeRpcError && reconnecting[1].error.method === 'JoinRoom' && reconnecting[1].error.codeName === 'UNAVAILABLE', String(reconnecting[1]?.error));
  assert.ok(reconnecting.every((r) => r.delayMs <= FAST_RECONNECT.maxDelayMs));
  // Sends while reconnecting wait (bounded) and go out after the re-join.
  const waiting = session.sendAudio(Buffer.alloc(320, 9));

  const joinsBefore = bridge.joins.length;
  const connected = nextEvent<[unknown, { reconnected: boolean }]>(session, 'connected', 5000);
  await bridge.start(); // same port
  const [, details] = await connected;
  assert.deepEqual(details, { reconnected: true });
  assert.equal(session.state, 'connected');
  assert.equal(bridge.joins.length, joinsBefore + 1);
  assert.deepEqual(bridge.joins.at(-1), {
    user_id: 'user-1', room_name: 'room-1', token: `token-${tokens}`, livekit_url: 'ws://livekit.test:7880', target_identity: 'glasses-1', subscribe_target_audio: true,
  });
  await waitFor('stream 2 named', () => bridge.openStreams('user-1').length === 1);
  const stream2 = bridge.openStreams('user-1')[0];
  assert.equal(stream2?.metadataUserId, 'user-1');
  assert.equal(await waiting, true);
  await waitFor('queued chunk delivered', () => stream2?.chunks.length === 1);
  assert.equal(stream2?.chunks[0]?.pcm_data[0], 9);

  // The same iterator goes on with audio from the new stream.
  bridge.sendAudio('user-1', Buffer.alloc(320, 2));
  assert.equal((await iterator.next()).value?.[0], 2);
  assert.equal(session.stats().reconnects, 1);
  assert.deepEqual(states.slice(0, 4), ['idle', 'connecting', 'connected', 'reconnecting']);
  assert.equal(states.at(-1), 'connected');
  assert.equal(tokens, 1 + reconnecting.length, 'the token source is asked on every join attempt');
});

test('when the bridge ends or fails the stream the session re-joins', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  await waitFor('stream 1', () => bridge.openStreams('user-1').length === 1);

  bridge.openStreams('user-1')[0]?.call.end(); // OK status: the bridge dropped our session
  await nextEvent(session, 'reconnecting');
  await nextEvent(session, 'connected');
  await waitFor('stream 2', () => bridge.openStreams('user-1').length === 1 && bridge.streams.length === 2);

  bridge.openStreams('user-1')[0]?.call.emit('error', { code: 14, details: 'session lost' });
  const [info] = await nextEvent<[ReconnectInfo]>(session, 'reconnecting');
  assert.match(info.error.message, /session lost/);
  await nextEvent(session, 'connected');
  assert.equal(bridge.joins.length, 3);
  assert.equal(session.stats().reconnects, 2);
});

test('a session that cannot re-join within maxAttempts closes with gave-up; its iterators throw', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1', { reconnect: { initialDelayMs: 20, maxDelayMs: 40, maxAttempts: 3 } });
  await session.join(JOIN);
  const iterator = session.audio();
  const closed = nextEvent<[{ reason: string; error?: Error }]>(session, 'closed');
  bridge.stop();
  const [info] = await closed;
  assert.equal(info.reason, 'gave-up');
  assert.ok(info.error instanceof BridgeRpcError);
  assert.equal(session.state, 'closed');
  await assert.rejects(iterator.next(), BridgeSessionClosedError);
  assert.equal(client.getSession('user-1'), undefined);
});

test('with reconnect: false a broken stream closes the session (reason lost)', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1', { reconnect: false });
  await session.join(JOIN);
  await waitFor('stream', () => bridge.openStreams('user-1').length === 1);
  const closed = nextEvent<[{ reason: string }]>(session, 'closed');
  bridge.stop();
  assert.equal((await closed)[0].reason, 'lost');
});

test('leave() calls LeaveRoom, closes the stream and ends the iterators', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  const iterator = session.audio();
  await waitFor('stream', () => bridge.openStreams('user-1').length === 1);
  const closed = nextEvent<[{ reason: string }]>(session, 'closed');
  await session.leave();
  assert.deepEqual(bridge.leaves, ['user-1']);
  assert.equal((await closed)[0].reason, 'left');
  assert.equal(session.state, 'closed');
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  await waitFor('bridge saw the stream end', () => bridge.streams[0]?.closed === true);
  assert.equal(await session.sendAudio(Buffer.alloc(2)), false);
  assert.equal(session.listenerCount('closed'), 0, 'listeners are removed after closed');
  // The user id is free again.
  assert.equal((await client.session('user-1').join(JOIN)).success, true);
});

test('leave() while reconnecting stops the attempts; with the bridge down it still closes and rejects', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  bridge.stop();
  await nextEvent(session, 'reconnecting');
  const attempts = bridge.joins.length;
  const closed = nextEvent<[{ reason: string }]>(session, 'closed');
  await assert.rejects(session.leave(), (error: unknown) => error instanceof BridgeRpcError && error.method === 'LeaveRoom');
  assert.equal((await closed)[0].reason, 'left');
  assert.equal(session.state, 'closed');
  await bridge.start();
  await sleep(600); // longer than the backoff cap: an attempt would have reached the bridge
  assert.equal(bridge.joins.length, attempts, 'no re-join after leave()');
});

function activeHandles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'FSReqCallback');
}

function countOf(list: string[], kind: string): number {
  return list.filter((r) => r === kind).length;
}

test('dispose() during the backoff wait leaves no timer, stream or call behind', async (t) => {
  const bridge = new TestBridge();
  await bridge.start();
  t.after(() => bridge.stop());
  const baseline = activeHandles();
  const client = new BridgeClient({ address: bridge.address, reconnect: { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0 } });
  const session = client.session('user-1');
  await session.join(JOIN);
  bridge.stop();
  await nextEvent(session, 'reconnecting'); // now waiting 1 s before the first attempt
  assert.ok(countOf(activeHandles(), 'Timeout') > countOf(baseline, 'Timeout'), 'the retry timer is pending');
  const pendingSend = session.sendAudio(Buffer.alloc(320));
  session.dispose();
  // Synchronously: the retry timer is gone right away (not merely harmless when it fires).
  assert.equal(countOf(activeHandles(), 'Timeout'), countOf(baseline, 'Timeout'), `timers after dispose(): ${JSON.stringify(activeHandles())}`);
  assert.equal(session.state, 'closed');
  assert.equal(await pendingSend, false);
  client.close();
  const tcp = (list: string[]): number => list.filter((r) => r.startsWith('TCP')).length;
  await waitFor('sockets back to the baseline', () => tcp(activeHandles()) <= tcp(baseline) && countOf(activeHandles(), 'Timeout') <= countOf(baseline, 'Timeout'), 2000).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}; baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(activeHandles())}`);
    },
  );
});

test('dispose() while a re-join is in flight cancels the JoinRoom call', async (t) => {
  const { bridge, client } = await setup(t);
  const session = client.session('user-1');
  await session.join(JOIN);
  await waitFor('stream', () => bridge.openStreams('user-1').length === 1);
  bridge.join = () => 'hang';
  bridge.openStreams('user-1')[0]?.call.emit('error', { code: 14, details: 'restarting' });
  await waitFor('the re-join reached the bridge', () => bridge.hangingJoins.length === 1);
  session.dispose();
  await waitFor('the bridge saw the JoinRoom cancelled', () => bridge.hangingJoins[0]?.cancelled === true, 2000);
  await sleep(300);
  assert.equal(bridge.joins.length, 2, 'no further attempt after dispose()');
});
