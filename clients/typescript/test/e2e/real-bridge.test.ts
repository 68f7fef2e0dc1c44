/**
 * End to end: the TypeScript client against the real Java bridge, the real livekit-server and
 * LiveKit's own Node SDK as the phone. Runs inside the test network namespace (scripts/test.sh).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BridgeClient, BridgePlaybackError, BridgeRpcError, type BridgeClientOptions } from '@mentra/livekit-bridge-client';
import { BRIDGE_TOKEN, JavaBridge, LiveKit, Peer, audioServer, nodeIp, token } from './stack.js';
import { sleep, waitFor } from '../support/wait.js';
import { levelLines, runCli } from '../support/cli.js';
import { sine } from '../support/test-bridge.js';

const ip = nodeIp();
const livekit = new LiveKit(ip, 27880);
const bridge = new JavaBridge(ip, 29090, livekit);
let audio: Awaited<ReturnType<typeof audioServer>>;

before(async () => {
  await livekit.start();
  await bridge.start();
  audio = await audioServer(ip);
});

after(async () => {
  // Warnings and errors only (LOG_LEVEL=WARN): the first place to look when a test above failed.
  if (bridge.log.length > 0) console.error(`bridge log (last 80 lines):\n${bridge.log.slice(-80).join('\n')}`);
  await audio?.close();
  await bridge.kill();
  await livekit.stop();
});

/** 3200-byte packet whose first 4 bytes are its sequence number and the rest derived from it. */
function packet(sequence: number): Buffer {
  const b = Buffer.alloc(3200);
  for (let i = 0; i < b.length; i++) b[i] = (sequence * 31 + i * 7) & 0xff;
  b.writeUInt32BE(sequence, 0);
  return b;
}

async function sendPackets(phone: Peer, from: number, count: number, intervalMs: number): Promise<void> {
  const packets = [];
  for (let i = from; i < from + count; i++) packets.push({ payloadB64: packet(i).toString('base64'), reliable: true, topic: 'pcm' });
  await phone.call('sendData', { packets, intervalMs }, 60_000);
}

/**
 * The phone (rtc-node peer, not subscribing) in `room` and a BridgeClient, both released when
 * the test ends.
 */
async function phoneAndClient(t: TestContext, room: string, options: Partial<BridgeClientOptions> = {}): Promise<{ phone: Peer; client: BridgeClient }> {
  const phone = new Peer();
  const client = new BridgeClient({ address: bridge.address, token: BRIDGE_TOKEN, ...options });
  t.after(async () => {
    client.close();
    await phone.stop();
  });
  await phone.call('join', { url: livekit.url, token: token(livekit.apiKey, livekit.secret, room, 'phone'), autoSubscribe: false });
  return { phone, client };
}

test('the packaged bridge serves Prometheus metrics next to gRPC', async () => {
  const response = await fetch(`http://${ip}:9091/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.match(text, /^livekit_bridge_sessions 0(\.0)?$/m);
  assert.match(text, /^jvm_threads_current /m);
});

test('PCM data packets from the phone arrive through BridgeSession in order and byte-identical', async (t) => {
  const room = 'ts-data';
  const { phone, client } = await phoneAndClient(t, room);
  const session = client.session('ts-user-1');
  const received: Buffer[] = [];
  session.on('audio', (pcm) => received.push(pcm));
  await session.join({ room, targetIdentity: 'phone' });
  await sleep(300); // StreamAudio attached
  await sendPackets(phone, 0, 50, 20);
  await waitFor('50 chunks', () => received.length >= 50, 10_000);
  assert.equal(received.length, 50);
  received.forEach((pcm, i) => assert.ok(pcm.equals(packet(i)), `chunk ${i} differs`));
  await session.leave();
});

test('play() resolves after the audio reached the peer; a 404 rejects naming the status', async (t) => {
  const room = 'ts-play';
  const listener = new Peer();
  const client = new BridgeClient({ address: bridge.address, token: BRIDGE_TOKEN });
  t.after(async () => {
    client.close();
    await listener.stop();
  });
  await listener.call('join', { url: livekit.url, token: token(livekit.apiKey, livekit.secret, room, 'listener') });
  const session = client.session('ts-user-2');
  await session.join({ room });
  await listener.call('record', { identity: 'cloud-agent:ts-user-2', path: '/tmp/ts-e2e-play.wav', sampleRate: 48000 });
  const result = await session.play(audio.url('/tone.wav'));
  const resolvedAt = Date.now();
  const heard = await listener.call('stopRecording');
  t.diagnostic(`play resolved ${JSON.stringify(result)}; the peer's first loud frame came ${resolvedAt - Number(heard.firstLoudAtMs)} ms before`);
  assert.ok(Number(heard.firstLoudAtMs) > 0, 'the peer heard the playback');
  assert.ok(Number(heard.firstLoudAtMs) <= resolvedAt, 'the audio reached the peer before play() resolved');

  await assert.rejects(session.play(audio.url('/missing.wav')), (error: unknown) => {
    assert.ok(error instanceof BridgePlaybackError, `got ${String(error)}`);
    assert.match(error.message, /404/);
    return true;
  });
  await session.leave();
});

test('the demo CLI joins through the real bridge, plays a URL and prints the phone audio level', async (t) => {
  const room = 'ts-cli';
  const { phone, client } = await phoneAndClient(t, room);
  const cli = runCli(['--bridge', bridge.address, '--bridge-token', BRIDGE_TOKEN, '--room', room, '--user', 'cli-user', '--target', 'phone',
    '--play', audio.url('/tone.wav'), '--duration', '5'], 30_000);
  for (let waited = 0; !(await client.status('cli-user').then(() => true, () => false)); waited += 100) {
    if (waited > 10_000) throw new Error('the CLI did not join within 10 s');
    await sleep(100);
  }
  await sleep(300); // StreamAudio attached
  // The phone sends a -20 dBFS tone as 16 kHz PCM data packets, 100 ms each, in real time, for 3 s.
  const chunk = sine(100, -20).toString('base64');
  await phone.call('sendData', { packets: Array.from({ length: 30 }, () => ({ payloadB64: chunk, reliable: true, topic: 'pcm' })), intervalMs: 100 }, 20_000);

  const { code, stdout, stderr } = await cli;
  t.diagnostic(`stdout:\n${stdout}`);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /joined room ts-cli as cloud-agent:cli-user/);
  assert.match(stderr, /play completed at 1000\/1000 ms/);
  const heard = levelLines(stdout).filter((level) => level.samples >= 8_000);
  assert.ok(heard.length >= 2, `at least two seconds with the phone's audio: ${stdout}`);
  for (const level of heard) assert.ok(Math.abs(level.dbfs - -20) < 0.5, `level ${level.dbfs} dBFS for a -20 dBFS tone`);
});

test('the bridge is killed and restarted: the session re-joins by itself and audio flows again', async (t) => {
  const room = 'ts-restart';
  const { phone, client } = await phoneAndClient(t, room, { reconnect: { initialDelayMs: 100, maxDelayMs: 500, jitter: 0.2 } });
  const session = client.session('ts-user-3');
  const received: Buffer[] = [];
  const states: string[] = [];
  session.on('audio', (pcm) => received.push(pcm));
  session.on('state', (state) => states.push(state));
  await session.join({ room, targetIdentity: 'phone' });

  await bridge.kill();
  await waitFor('reconnecting', () => session.state === 'reconnecting', 5000);
  await bridge.start();
  const backAt = Date.now();
  await waitFor('connected again', () => session.state === 'connected', 10_000);
  const rejoinMs = Date.now() - backAt;
  t.diagnostic(`re-joined ${rejoinMs} ms after the bridge was back; states ${states.join(' -> ')}`);
  assert.ok(rejoinMs <= 5000, `re-joined after ${rejoinMs} ms`);

  await sleep(300);
  await sendPackets(phone, 100, 10, 20);
  await waitFor('audio after the restart', () => received.some((pcm) => pcm.readUInt32BE(0) === 109), 10_000);
  await session.leave();
});

test('dispose() during reconnection: no session stays on the bridge and the process exits by itself', async (t) => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/dispose-child.js', import.meta.url)), bridge.address, BRIDGE_TOKEN], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitFor('the child joined', () => lines.includes('joined'), 15_000);

  await bridge.kill();
  await waitFor('the child reconnecting', () => lines.some((l) => l.startsWith('reconnecting')), 5000);
  child.kill('SIGUSR2'); // the child calls session.dispose() and nothing else
  const code = await Promise.race([exit, sleep(5000).then(() => 'timeout' as const)]);
  assert.notEqual(code, 'timeout', `the child did not exit by itself; output: ${lines.join(' | ')}`);
  assert.equal(code, 0);

  await bridge.start();
  const client = new BridgeClient({ address: bridge.address, token: BRIDGE_TOKEN });
  t.after(() => client.close());
  await sleep(2000);
  for (let i = 0; i <= 10; i++) {
    const status = await client.status('child-user');
    assert.equal(status.connected, false, 'the bridge must not know the disposed user');
    assert.equal(status.participant_id, '');
    const health = await client.health();
    assert.equal(health.active_sessions, 0);
    if (i < 10) await sleep(1000);
  }
});

/** A CA and a server certificate for `ip` made with openssl (Debian's), in a temporary directory. */
function makeCertificates(ip: string): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lkb-ts-tls-'));
  const run = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ts-e2e-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=bridge']);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=IP:${ip}\n`);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext']);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

test('access control: no token is UNAUTHENTICATED; the right token works, over TLS too', async (t) => {
  const certs = makeCertificates(ip);
  const tlsBridge = new JavaBridge(ip, 29091, livekit, { TLS_CERT_FILE: certs.cert, TLS_KEY_FILE: certs.key, METRICS_PORT: '0' });
  await tlsBridge.start();
  t.after(() => tlsBridge.kill());
  const rootCerts = readFileSync(certs.ca);

  const anonymous = new BridgeClient({ address: tlsBridge.address, tls: { rootCerts } });
  const wrong = new BridgeClient({ address: tlsBridge.address, token: 'not-the-bridge-token', tls: { rootCerts } });
  const rightful = new BridgeClient({ address: tlsBridge.address, token: BRIDGE_TOKEN, tls: { rootCerts } });
  t.after(() => {
    anonymous.close();
    wrong.close();
    rightful.close();
  });
  for (const client of [anonymous, wrong]) {
    await assert.rejects(client.health(), (error: unknown) => error instanceof BridgeRpcError && error.code === grpc.status.UNAUTHENTICATED);
    const session = client.session('tls-intruder', { reconnect: false });
    await assert.rejects(session.join({ room: 'ts-tls-room' }), (error: unknown) => /UNAUTHENTICATED|bearer token/i.test(String(error)));
    session.dispose();
  }
  assert.deepEqual(await livekit.participants('ts-tls-room'), []);

  assert.equal((await rightful.health()).status, 'SERVING');
  const session = rightful.session('ts-tls-user');
  await session.join({ room: 'ts-tls-room' });
  assert.deepEqual(await livekit.participants('ts-tls-room'), ['cloud-agent:ts-tls-user']);
  await session.leave();
});
