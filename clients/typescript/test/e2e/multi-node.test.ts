/**
 * More than one machine, end to end: two livekit-server nodes in LiveKit's multi-node mode (one
 * Redis), two Java bridges (the packaged jar), one BridgeClient over both bridges, 10 users with
 * rooms on both nodes and rtc-node phones in four of them. One bridge is killed with SIGKILL:
 * every user must be back in its room through the other bridge within 5 s with the phone data
 * flowing again, and once LiveKit has dropped the dead bridge's participants no room may hold two
 * participants of one user. Prints per-user re-join times and when LiveKit dropped each dead
 * participant. Runs inside the test network namespace (scripts/test.sh).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BridgeClient, rendezvousOrder, type BridgeSession } from '@mentra/livekit-bridge-client';
import { BRIDGE_TOKEN, JavaBridge, LiveKit, Peer, Redis, nodeIp, token } from './stack.js';
import { sleep, waitFor } from '../support/wait.js';

const ip = nodeIp();
const keys = { apiKey: `API${randomBytes(6).toString('hex')}`, secret: randomBytes(24).toString('hex') };
const redis = new Redis(ip, 26379);

/**
 * Multi-node mode (`redis:`), plus a region per node and the region-aware node selector: a new
 * room is placed on the node nearest to the node that received its first participant, i.e. on
 * the node the user's JoinRoom named. (LiveKit's default selector would place it on any node.)
 */
const clusterYaml = (region: string): string[] => [
  'redis:',
  `  address: ${redis.address}`,
  `region: ${region}`,
  'node_selector:',
  '  kind: regionaware',
  '  sort_by: random',
  '  sysload_limit: 100',
  '  regions:',
  '    - name: node-a',
  '      lat: 0',
  '      lon: 0',
  '    - name: node-b',
  '      lat: 40',
  '      lon: 90',
];
const nodeA = new LiveKit(ip, 27980, { keys, portRange: [56000, 56099], extraYaml: clusterYaml('node-a'), logLevel: 'info', captureLog: true });
const nodeB = new LiveKit(ip, 27990, { keys, portRange: [56100, 56199], extraYaml: clusterYaml('node-b'), logLevel: 'info', captureLog: true });
// METRICS_PORT 0: two bridges on one address would both want 9091.
const bridge1 = new JavaBridge(ip, 29190, nodeA, { METRICS_PORT: '0' });
const bridge2 = new JavaBridge(ip, 29290, nodeB, { METRICS_PORT: '0' });
const BRIDGES = [bridge1.address, bridge2.address];

interface User {
  id: string;
  room: string;
  node: LiveKit;
  /** The bridge the rendezvous hash places it on while both are up. */
  home: string;
  phone: Peer | undefined;
  session: BridgeSession | undefined;
  /** Received phone packets: arrival time and sequence number. */
  received: { at: number; seq: number }[];
  /** Times of successful re-joins. */
  rejoinedAt: number[];
}

let client: BridgeClient;
const users: User[] = [];
/**
 * A control participant, not one of the 10 users: joined through bridge 1 alone by a client that
 * does not re-join, so after the kill nothing replaces it and LiveKit must time it out itself.
 */
const CONTROL = { id: 'mn-control', room: 'mn-room-control' };
let controlClient: BridgeClient | undefined;
/** The phones' send loops; `sending = false` ends them. */
const phoneSends: Promise<void>[] = [];
let sending = true;
let killedAt = 0;
interface DeadParticipant {
  identity: string;
  sid: string;
  /** When LiveKit stopped listing it (0: still listed). */
  goneAt: number;
  /** At that moment another participant of the same identity was listed (LiveKit replaced it). */
  replaced: boolean;
  maxSameIdentity: number;
}
/** The dead bridge's participant per room, and when LiveKit stopped listing it. */
const dead = new Map<string, DeadParticipant>();
let watcher: Promise<void> | undefined;

/** 640 bytes (20 ms of 16 kHz PCM16, even length: no sequence header for the bridge) starting with `seq`. */
function packet(seq: number): string {
  const b = Buffer.alloc(640, seq & 0xff);
  b.writeUInt32BE(seq, 0);
  return b.toString('base64');
}

const nodeName = (node: LiveKit): string => (node === nodeA ? 'A' : 'B');
const identity = (u: User): string => `cloud-agent:${u.id}`;

/** Which node hosts each room, from the nodes' "selected node for room" and start-up log lines. */
function roomNodes(): Map<string, string> {
  const nodeIds = new Map<string, string>();
  const rooms = new Map<string, string>();
  for (const node of [nodeA, nodeB]) {
    for (const line of node.log) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (entry.msg === 'starting LiveKit server' && typeof entry.nodeID === 'string') nodeIds.set(entry.nodeID, nodeName(node));
      if (entry.msg === 'selected node for room' && typeof entry.room === 'string') rooms.set(entry.room, String(entry.selectedNodeID));
    }
  }
  return new Map([...rooms].map(([room, id]) => [room, nodeIds.get(id) ?? id]));
}

before(async () => {
  await redis.start();
  await Promise.all([nodeA.start(), nodeB.start()]);
  await Promise.all([bridge1.start(), bridge2.start()]);
});

after(async () => {
  sending = false;
  await Promise.all(phoneSends);
  client?.close();
  controlClient?.close();
  await Promise.all(users.map((u) => u.phone?.stop()));
  for (const b of [bridge1, bridge2]) {
    const warnings = b.log.filter((l) => !l.includes('WARNING: '));
    if (warnings.length > 0) console.error(`bridge ${b.address} log (last 40 lines):\n${warnings.slice(-40).join('\n')}`);
  }
  await Promise.all([bridge1.kill(), bridge2.kill()]);
  await Promise.all([nodeA.stop(), nodeB.stop()]);
  await redis.stop();
});

test('10 users over two bridges, rooms on both LiveKit nodes, phone data flowing', { timeout: 120_000 }, async (t) => {
  // Five users whose rendezvous choice is bridge 1 and five for bridge 2; on each bridge the
  // rooms alternate between the nodes, and the first two of each bridge have a phone.
  const perBridge = new Map<string, string[]>(BRIDGES.map((b) => [b, []]));
  for (let i = 0; [...perBridge.values()].some((ids) => ids.length < 5); i++) {
    const id = `mn-user-${i}`;
    const ids = perBridge.get(rendezvousOrder(id, BRIDGES)[0] as string) as string[];
    if (ids.length < 5) ids.push(id);
  }
  for (const [home, ids] of perBridge) {
    ids.forEach((id, j) => {
      users.push({ id, room: `mn-room-${id.slice('mn-user-'.length)}`, node: j % 2 === 0 ? nodeA : nodeB, home, phone: undefined, session: undefined, received: [], rejoinedAt: [] });
    });
  }

  client = new BridgeClient({ addresses: BRIDGES, token: BRIDGE_TOKEN });
  await Promise.all(users.map(async (u) => {
    const session = client.session(u.id);
    u.session = session;
    session.on('audio', (pcm) => u.received.push({ at: Date.now(), seq: pcm.readUInt32BE(0) }));
    session.on('connected', (_response, { reconnected }) => {
      if (reconnected) u.rejoinedAt.push(Date.now());
    });
    await session.join({ room: u.room, url: u.node.url, targetIdentity: `phone-${u.room}` });
  }));
  for (const u of users) assert.equal(client.bridgeFor(u.id), u.home, `${u.id} on its rendezvous bridge`);
  controlClient = new BridgeClient({ address: bridge1.address, token: BRIDGE_TOKEN });
  await controlClient.session(CONTROL.id, { reconnect: false }).join({ room: CONTROL.room, url: nodeB.url });

  // Phones: through the node that does not host the room, so LiveKit routes their signalling.
  const withPhones = [...perBridge.values()].flatMap((ids) => ids.slice(0, 2)).map((id) => users.find((u) => u.id === id) as User);
  await Promise.all(withPhones.map(async (u) => {
    const phone = new Peer();
    u.phone = phone;
    const via = u.node === nodeA ? nodeB : nodeA;
    await phone.call('join', { url: via.url, token: token(keys.apiKey, keys.secret, u.room, `phone-${u.room}`), autoSubscribe: false }, 30_000);
  }));
  // 20 ms packets every 50 ms, numbered from 0, until the tests end (batches of one second).
  for (const u of withPhones) {
    phoneSends.push((async () => {
      for (let seq = 0; sending; seq += 20) {
        const packets = Array.from({ length: 20 }, (_, i) => ({ payloadB64: packet(seq + i), reliable: true, topic: 'pcm' }));
        await (u.phone as Peer).call('sendData', { packets, intervalMs: 50 }, 10_000).catch(() => sleep(50));
      }
    })());
  }
  await waitFor('phone data at every phone user', () => withPhones.every((u) => u.received.length >= 10), 15_000);

  await waitFor('every room placed', () => users.every((u) => roomNodes().has(u.room)), 10_000);
  const placed = roomNodes();
  const rows = users.map((u) => `${u.id.padEnd(12)} bridge ${u.home === bridge1.address ? 1 : 2}  JoinRoom via node ${nodeName(u.node)}  room ${u.room} on node ${placed.get(u.room)}${u.phone ? `  phone via node ${u.node === nodeA ? 'B' : 'A'}` : ''}`);
  t.diagnostic(`placement:\n${rows.join('\n')}`);
  assert.deepEqual(new Set(placed.values()), new Set(['A', 'B']), 'rooms on both LiveKit nodes');
  for (const u of users) {
    const participants = await nodeA.participants(u.room); // node A answers for rooms on B too
    assert.ok(participants.includes(identity(u)), `${u.room}: ${participants.join(', ')}`);
  }
});

test('SIGKILL one bridge: every user is back in its room through the other within 5 s, phone data flowing again', { timeout: 60_000 }, async (t) => {
  assert.equal(users.length, 10, 'the first test set the users up');
  const victims = users.filter((u) => u.home === bridge1.address);
  for (const { room, id } of [...victims, CONTROL]) {
    const infos = await nodeB.participantInfos(room);
    const mine = infos.filter((p) => p.identity === `cloud-agent:${id}`);
    assert.equal(mine.length, 1, `${room}: ${JSON.stringify(infos)}`);
    dead.set(room, { identity: `cloud-agent:${id}`, sid: (mine[0] as { sid: string }).sid, goneAt: 0, replaced: false, maxSameIdentity: 1 });
  }
  const lastBefore = new Map(users.map((u) => [u.id, u.received.at(-1)?.seq ?? -1]));

  killedAt = Date.now();
  await bridge1.kill();
  // Watch the rooms until LiveKit has dropped every dead participant (at most 60 s).
  watcher = (async () => {
    while ([...dead.values()].some((d) => d.goneAt === 0) && Date.now() - killedAt < 60_000) {
      await Promise.all([...dead].map(async ([room, d]) => {
        if (d.goneAt !== 0) return;
        const infos = await nodeA.participantInfos(room).catch(() => undefined);
        if (infos === undefined) return;
        const same = infos.filter((p) => p.identity === d.identity);
        d.maxSameIdentity = Math.max(d.maxSameIdentity, same.length);
        if (!same.some((p) => p.sid === d.sid)) {
          d.goneAt = Date.now();
          d.replaced = same.length > 0;
        }
      }));
      await sleep(200);
    }
  })();

  await waitFor('every user of the killed bridge re-joined', () => victims.every((u) => u.rejoinedAt.length > 0), 15_000);
  const phoneUsers = users.filter((u) => u.phone !== undefined);
  await waitFor('phone data after the kill at every phone user', () => phoneUsers.every((u) => u.received.some((r) => r.at > killedAt && r.seq > (lastBefore.get(u.id) as number))), 15_000);

  const rows: string[] = [];
  for (const u of users) {
    const rejoinMs = u.rejoinedAt.length > 0 ? (u.rejoinedAt[0] as number) - killedAt : undefined;
    const againAt = u.phone !== undefined ? u.received.find((r) => r.at > (u.rejoinedAt[0] ?? killedAt) && r.seq > (lastBefore.get(u.id) as number))?.at : undefined;
    let maxGap = 0;
    for (let i = 1; i < u.received.length; i++) maxGap = Math.max(maxGap, (u.received[i] as { at: number }).at - (u.received[i - 1] as { at: number }).at);
    rows.push(`${u.id.padEnd(12)} bridge ${u.home === bridge1.address ? '1 (killed)' : '2         '} -> ${client.bridgeFor(u.id) === bridge2.address ? 2 : 1}` +
      `  re-joined ${rejoinMs === undefined ? '-' : `${rejoinMs} ms`}`.padEnd(22) +
      (u.phone !== undefined ? `  phone data again ${againAt === undefined ? '-' : `${againAt - killedAt} ms`}, longest gap ${maxGap} ms` : ''));
  }
  t.diagnostic(`after SIGKILL of bridge 1 (times from the kill):\n${rows.join('\n')}`);

  for (const u of victims) {
    const rejoinMs = (u.rejoinedAt[0] as number) - killedAt;
    assert.ok(rejoinMs <= 5000, `${u.id} re-joined after ${rejoinMs} ms`);
    assert.equal(client.bridgeFor(u.id), bridge2.address);
  }
  for (const u of users.filter((x) => x.home === bridge2.address)) assert.equal(u.session?.stats().reconnects, 0, `${u.id} was not disturbed`);
  for (const u of phoneUsers) {
    const again = u.received.find((r) => r.at > killedAt && r.seq > (lastBefore.get(u.id) as number)) as { at: number };
    assert.ok(again.at - killedAt <= 5000, `${u.id}: phone data again ${again.at - killedAt} ms after the kill`);
  }
  // Back in the room: LiveKit lists a live participant of each moved user.
  for (const u of victims) {
    const infos = await nodeA.participantInfos(u.room);
    assert.ok(infos.some((p) => p.identity === identity(u) && p.sid !== dead.get(u.room)?.sid), `${u.room}: ${JSON.stringify(infos)}`);
  }
  assert.deepEqual(client.bridges().map((b) => [b.address, b.state]), [[bridge1.address, 'down'], [bridge2.address, 'up']]);
});

test('once LiveKit dropped the dead bridge\'s participants, no room holds two participants of one user', { timeout: 90_000 }, async (t) => {
  assert.ok(watcher !== undefined, 'the previous test killed the bridge');
  await watcher;
  const rows = [...dead].map(([room, d]) =>
    `${room.padEnd(16)} ${d.identity.padEnd(24)} ${d.sid}: ${d.goneAt === 0 ? 'still listed after 60 s' : `gone ${d.goneAt - killedAt} ms after the kill, ${d.replaced ? 'replaced by the re-joined participant of the same identity' : 'timed out by LiveKit (nothing re-joined)'}`}; at most ${d.maxSameIdentity} participant(s) of the identity listed at once`);
  t.diagnostic(`LiveKit and the dead bridge's participants:\n${rows.join('\n')}`);
  for (const [room, d] of dead) assert.ok(d.goneAt !== 0, `${room}: LiveKit still lists ${d.sid} 60 s after the kill`);

  for (const u of users) {
    const participants = await nodeA.participants(u.room);
    assert.equal(participants.filter((p) => p === identity(u)).length, 1, `${u.room}: ${participants.join(', ')}`);
    if (u.phone !== undefined) assert.ok(participants.includes(`phone-${u.room}`));
  }
  // Still flowing: every phone user got packets within the last second.
  const now = Date.now();
  await waitFor('recent phone data', () => users.filter((u) => u.phone).every((u) => (u.received.at(-1)?.at ?? 0) > now - 1000), 3000);
});
