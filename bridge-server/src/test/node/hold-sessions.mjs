// A backend that holds sessions and then dies: joins each user, opens its StreamAudio call,
// prints "ready" and waits until it is killed.
//   node hold-sessions.mjs <proto> <address> <token> <room-prefix> <user>...
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoPath, address, token, roomPrefix, ...users] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const { LiveKitBridge } = grpc.loadPackageDefinition(definition).mentra.livekit.bridge;
const client = new LiveKitBridge(address, grpc.credentials.createInsecure());
const metadata = () => {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${token}`);
  return m;
};
for (const user of users) {
  const joined = await new Promise((resolve, reject) =>
    client.JoinRoom({ user_id: user, room_name: `${roomPrefix}${user}` }, metadata(), (e, r) => (e ? reject(e) : resolve(r))));
  if (!joined.success) throw new Error(`join ${user}: ${joined.error}`);
  const stream = client.StreamAudio(metadata());
  stream.on('data', () => {});
  stream.on('error', () => {});
  stream.write({ user_id: user });
}
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
