// Drives the bridge the way the smart-glasses cloud does: @grpc/grpc-js with its own copy of the
// upstream contract (upstream/livekit_bridge.proto), loaded with the cloud's proto-loader options
// {keepCase, longs: String, enums: String, defaults, oneofs}, no deadlines, over TCP or unix:.
// Prints one JSON line with everything observed; the Java test asserts on it.
//   node cloud-client.mjs <proto> <target> <userId> <room> <token> <livekitUrl> <longAudioUrl> <shortAudioUrl>
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoPath, target, userId, room, token, livekitUrl, longUrl, shortUrl] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const { LiveKitBridge } = grpc.loadPackageDefinition(definition).mentra.livekit.bridge;
const client = new LiveKitBridge(target, grpc.credentials.createInsecure(), {
  'grpc.max_receive_message_length': 10 * 1024 * 1024,
  'grpc.max_send_message_length': 10 * 1024 * 1024,
});
const unary = (method, request) =>
  new Promise((resolve, reject) => client[method](request, (err, res) => (err ? reject(new Error(`${method}: ${err.message}`)) : resolve(res))));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A StreamAudio call as the cloud opens it: first message carries only user_id and empty PCM.
function openStream() {
  const call = client.StreamAudio();
  const s = { call, chunks: 0, bytes: 0, oddChunks: 0, status: null, errors: 0, sources: new Set() };
  call.on('data', (chunk) => {
    s.chunks++;
    s.bytes += chunk.pcm_data.length;
    if (chunk.pcm_data.length % 2) s.oddChunks++;
  });
  call.on('error', () => s.errors++);
  call.on('status', (st) => (s.status = { code: st.code, details: st.details }));
  call.write({ user_id: userId, pcm_data: Buffer.alloc(0) });
  return s;
}

async function waitFor(probe, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (probe()) return;
    await sleep(20);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

// One PlayAudio call; resolves with its events once the call ends.
function play(request, onEvent = () => {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    const call = client.PlayAudio({ user_id: userId, volume: 1, stop_other: false, track_id: 0, ...request });
    call.on('data', (e) => {
      events.push({ type: e.type, request_id: e.request_id, duration_ms: e.duration_ms, position_ms: e.position_ms, error: e.error, metadata: e.metadata });
      onEvent(e, events);
    });
    call.on('end', () => resolve(events));
    call.on('error', (err) => reject(new Error(`PlayAudio ${request.request_id}: ${err.message} after ${JSON.stringify(events)}`)));
  });
}

const r = { target };
try {
  r.health = await unary('HealthCheck', { service: 'livekit-bridge' });
  r.statusUnknown = await unary('GetStatus', { user_id: `${userId}-nobody` });
  r.join = await unary('JoinRoom', { user_id: userId, room_name: room, token, livekit_url: livekitUrl, target_identity: userId });

  let stream = openStream();
  await waitFor(() => stream.chunks >= 5, 10_000, 'phone audio on the first stream');
  r.firstStream = { chunks: stream.chunks, oddChunks: stream.oddChunks };
  // PCM up, the cloud's way (16 kHz mono, track 0 omitted).
  const tone = Buffer.alloc(3200);
  for (let i = 0; i < 1600; i++) tone.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), 2 * i);
  for (let i = 0; i < 5; i++) stream.call.write({ pcm_data: tone, sample_rate: 16000, channels: 1, user_id: userId });

  r.statusKnown = await unary('GetStatus', { user_id: userId });

  // Stopped: StopAudio by track, with the cloud's request_id and reason.
  r.stopByTrack = {};
  r.stopped = await play({ request_id: 'play-stopped', audio_url: longUrl, track_id: 2 }, (e) => {
    if (e.type === 'STARTED') unary('StopAudio', { user_id: userId, request_id: 'stop-1', reason: 'user interrupted', track_id: 2 }).then((x) => (r.stopByTrack = x));
  });

  // Replaced: a second play on the same track; then StopAudio for all tracks (-1).
  let replacedEvents;
  const first = play({ request_id: 'play-replaced', audio_url: longUrl, track_id: 0 }, (e) => {
    if (e.type === 'STARTED' && !replacedEvents) {
      replacedEvents = play({ request_id: 'play-replacer', audio_url: longUrl, track_id: 0 }, (e2) => {
        if (e2.type === 'STARTED') unary('StopAudio', { user_id: userId, request_id: 'stop-2', reason: 'stop all', track_id: -1 }).then((x) => (r.stopAll = x));
      });
    }
  });
  r.replaced = await first;
  await waitFor(() => replacedEvents !== undefined, 10_000, 'the replacing play');
  r.replacer = await replacedEvents;

  // Completed: a short sound to its end, on a track above 2 (track_N).
  r.completed = await play({ request_id: 'play-completed', audio_url: shortUrl, track_id: 5, volume: 1.5 });

  // A second stream while the first is open: the first is detached quietly, not ended.
  const second = openStream();
  const before = second.chunks;
  await waitFor(() => second.chunks >= before + 3, 10_000, 'phone audio on the superseding stream');
  await sleep(300);
  r.superseded = { firstStatus: stream.status, firstErrors: stream.errors, secondChunks: second.chunks };
  stream.call.end();
  stream = second;

  // The cloud's reconnect after a stream error: cancel, wait 2 s, LeaveRoom, JoinRoom, new stream.
  stream.call.cancel();
  await sleep(2_000);
  r.reconnectLeave = await unary('LeaveRoom', { user_id: userId, reason: 'stream error: reconnecting' });
  r.reconnectJoin = await unary('JoinRoom', { user_id: userId, room_name: room, token, livekit_url: livekitUrl, target_identity: userId });
  stream = openStream();
  await waitFor(() => stream.chunks >= 3, 10_000, 'phone audio after the reconnect');
  r.afterReconnect = { chunks: stream.chunks };

  r.healthDuring = await unary('HealthCheck', {});
  r.leave = await unary('LeaveRoom', { user_id: userId, reason: 'session ended' });
  r.statusAfterLeave = await unary('GetStatus', { user_id: userId });
  stream.call.end();
  r.ok = true;
} catch (e) {
  r.ok = false;
  r.error = String(e?.stack ?? e);
}
client.close();
process.stdout.write(JSON.stringify(r) + '\n');
process.exit(0);
