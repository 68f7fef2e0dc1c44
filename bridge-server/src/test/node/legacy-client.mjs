// Calls every RPC the way the existing TypeScript backend does: @grpc/grpc-js and
// @grpc/proto-loader with keepCase, loading only the .proto file. Prints one JSON result.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoPath, address, userId, room, audioUrl] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
const { LiveKitBridge } = grpc.loadPackageDefinition(definition).mentra.livekit.bridge;
const client = new LiveKitBridge(address, grpc.credentials.createInsecure());
const unary = (method, request) =>
  new Promise((resolve, reject) => client[method](request, { deadline: Date.now() + 20_000 }, (err, res) => (err ? reject(err) : resolve(res))));

const result = {};
try {
  result.health = await unary('HealthCheck', {});
  result.join = await unary('JoinRoom', { user_id: userId, room_name: room, target_identity: 'phone' });

  const metadata = new grpc.Metadata();
  metadata.set('user-id', userId);
  const stream = client.StreamAudio(metadata);
  const received = [];
  stream.on('data', (chunk) => received.push(chunk.pcm_data.length));
  stream.on('error', () => {});
  stream.write({ user_id: userId });
  const tone = Buffer.alloc(3200);
  for (let i = 0; i < 1600; i++) tone.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), 2 * i);
  for (let i = 0; i < 5; i++) stream.write({ pcm_data: tone, sample_rate: 16000, channels: 1 });

  result.status = await unary('GetStatus', { user_id: userId });

  const events = [];
  await new Promise((resolve, reject) => {
    const call = client.PlayAudio({ request_id: 'legacy-1', audio_url: audioUrl, volume: 0, stop_other: false, user_id: userId, track_id: 2 });
    call.on('data', (e) => {
      events.push(e);
      if (e.type === 'STARTED') {
        unary('StopAudio', { user_id: userId, track_id: 2 }).then((r) => (result.stop = r), reject);
      }
    });
    call.on('end', resolve);
    call.on('error', reject);
  });
  result.playEvents = events.map((e) => ({ type: e.type, request_id: e.request_id, duration_ms: e.duration_ms, error: e.error, stop_reason: e.stop_reason }));
  result.healthDuring = await unary('HealthCheck', {});
  result.leave = await unary('LeaveRoom', { user_id: userId });
  stream.end();
  result.received = received.length;
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e?.message ?? e);
}
client.close();
process.stdout.write(JSON.stringify(result) + '\n');
