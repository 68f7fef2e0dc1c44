/**
 * BridgeClient over several bridges: rendezvous placement, failover when a bridge dies or stops
 * answering, a bridge that comes back, draining, and a DNS name resolving to the bridges. Fake
 * bridges are TestBridge servers (real gRPC on loopback); several share one port on 127.0.0.x.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  BridgeClient,
  BridgeRpcError,
  rendezvousOrder,
  type BridgeClientOptions,
  type BridgeSession,
  type JoinOptions,
} from '@mentra/livekit-bridge-client';
import { TestBridge } from '../support/test-bridge.js';
import { sleep, waitFor } from '../support/wait.js';

const JOIN: JoinOptions = { room: 'room-1', url: 'ws://livekit.test:7880' };
const FAST = {
  reconnect: { initialDelayMs: 50, maxDelayMs: 400, jitter: 0.2 },
  healthCheck: { intervalMs: 100, timeoutMs: 150, failuresToDown: 2 },
  requestTimeoutMs: 2000,
  joinTimeoutMs: 2000,
} satisfies Partial<BridgeClientOptions>;

async function bridges(t: TestContext, count: number): Promise<TestBridge[]> {
  const list: TestBridge[] = [];
  for (let i = 0; i < count; i++) {
    const bridge = new TestBridge();
    await bridge.start();
    list.push(bridge);
  }
  t.after(() => {
    for (const b of list) b.stop();
  });
  return list;
}

function client(t: TestContext, options: BridgeClientOptions): BridgeClient {
  const c = new BridgeClient(options);
  t.after(() => c.close());
  return c;
}

const users = (n: number, prefix = 'user'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/**
 * `perBridge` users whose first choice is each of `addresses`. The bridges listen on ephemeral
 * ports, so a fixed list of users would spread unevenly now and then (30 users on 3 bridges gave
 * one bridge 4 in CI); choosing users by their placement keeps every bridge exercised.
 */
function usersOnEach(addresses: readonly string[], perBridge: number): string[] {
  const chosen = new Map(addresses.map((a) => [a, [] as string[]]));
  for (let i = 0; [...chosen.values()].some((ids) => ids.length < perBridge); i++) {
    if (i >= 10_000) throw new Error(`no ${perBridge} users per bridge among 10,000`);
    const id = `user-${i}`;
    const ids = chosen.get(rendezvousOrder(id, addresses)[0] as string) as string[];
    if (ids.length < perBridge) ids.push(id);
  }
  return [...chosen.values()].flat();
}

/** The bridge that has `userId`'s open stream (exactly one, or throws). */
function holder(list: readonly TestBridge[], userId: string): TestBridge {
  const holding = list.filter((b) => b.running && b.openStreams(userId).length > 0);
  assert.equal(holding.length, 1, `${userId} has open streams on ${holding.length} bridges`);
  return holding[0] as TestBridge;
}

async function joinAll(c: BridgeClient, ids: readonly string[]): Promise<Map<string, BridgeSession>> {
  const sessions = new Map<string, BridgeSession>();
  await Promise.all(ids.map(async (id) => {
    const session = c.session(id);
    sessions.set(id, session);
    await session.join(JOIN);
  }));
  return sessions;
}

async function streamsOpen(list: readonly TestBridge[], ids: readonly string[]): Promise<void> {
  await waitFor('every user with one open stream', () => ids.every((id) => list.filter((b) => b.running && b.openStreams(id).length > 0).length === 1), 5000);
}

test('rendezvous order: deterministic, even, and a removed address moves only its own keys', () => {
  const addresses = ['10.0.0.1:9090', '10.0.0.2:9090', '10.0.0.3:9090'];
  const keys = users(3000);
  const first = new Map(keys.map((k) => [k, rendezvousOrder(k, addresses)[0]]));
  assert.deepEqual(rendezvousOrder('user-7', addresses), rendezvousOrder('user-7', [...addresses].reverse()), 'independent of the list order');
  for (const a of addresses) {
    const share = [...first.values()].filter((x) => x === a).length / keys.length;
    assert.ok(share > 0.28 && share < 0.39, `${a} gets ${(share * 100).toFixed(1)} % of the keys`);
  }
  const without = addresses.slice(1);
  for (const k of keys) {
    const now = rendezvousOrder(k, without)[0];
    if (first.get(k) !== addresses[0]) assert.equal(now, first.get(k), `${k} moved although its bridge stayed`);
    else assert.equal(now, rendezvousOrder(k, addresses)[1], `${k} goes to its second choice`);
  }
  const added = [...addresses, '10.0.0.4:9090'];
  const moved = keys.filter((k) => rendezvousOrder(k, added)[0] !== first.get(k));
  assert.ok(moved.every((k) => rendezvousOrder(k, added)[0] === '10.0.0.4:9090'), 'a new bridge takes keys only for itself');
  assert.ok(moved.length / keys.length > 0.2 && moved.length / keys.length < 0.3, `a 4th bridge took ${moved.length} of ${keys.length}`);
});

test('options: one of address, addresses, dns; a list of one is a single bridge', async (t) => {
  assert.throws(() => new BridgeClient({}), TypeError);
  assert.throws(() => new BridgeClient({ address: 'a:1', addresses: ['b:1'] }), TypeError);
  assert.throws(() => new BridgeClient({ addresses: [] }), TypeError);
  assert.throws(() => new BridgeClient({ dns: 'no-port' }), TypeError);
  const [bridge] = await bridges(t, 1);
  const c = client(t, { addresses: [(bridge as TestBridge).address] });
  assert.equal(c.address, (bridge as TestBridge).address);
  assert.deepEqual(c.bridges().map((b) => [b.address, b.state]), [[(bridge as TestBridge).address, 'up']]);
  await c.session('solo').join(JOIN);
  assert.equal((bridge as TestBridge).joins.length, 1);
});

test('each user joins on its rendezvous bridge; calls and the stream go there', async (t) => {
  const list = await bridges(t, 3);
  const addresses = list.map((b) => b.address);
  const c = client(t, { addresses, ...FAST });
  const ids = usersOnEach(addresses, 10);
  const sessions = await joinAll(c, ids);
  await streamsOpen(list, ids);
  for (const id of ids) {
    const expected = rendezvousOrder(id, addresses)[0];
    assert.equal(holder(list, id).address, expected, id);
    assert.equal(c.bridgeFor(id), expected);
    assert.equal(list.filter((b) => b.joins.some((j) => j.user_id === id)).length, 1, `${id} joined once, on one bridge`);
  }
  for (const b of list) assert.equal(b.joins.length, 10, `${b.address} got ${b.joins.length} of 30 users`);
  // Unary calls go to the session's bridge.
  const id = ids[0] as string;
  await (sessions.get(id) as BridgeSession).stop();
  assert.equal(list.find((b) => b.stops.length > 0)?.address, rendezvousOrder(id, addresses)[0]);
  assert.equal((await c.status(id)).connected, true);
  assert.deepEqual(c.bridges().map((b) => b.state), ['up', 'up', 'up']);
  assert.equal(c.bridges().reduce((n, b) => n + b.sessions, 0), 30);
});

test('a bridge dies: its users re-join on their next bridge, the others stay; it comes back and takes new users', async (t) => {
  const list = await bridges(t, 3);
  const addresses = list.map((b) => b.address);
  const c = client(t, { addresses, ...FAST });
  const ids = usersOnEach(addresses, 10);
  const sessions = await joinAll(c, ids);
  await streamsOpen(list, ids);
  const dead = list[0] as TestBridge;
  const victims = ids.filter((id) => rendezvousOrder(id, addresses)[0] === dead.address);
  const bystanders = ids.filter((id) => !victims.includes(id));
  assert.ok(victims.length > 0);
  const joinsBefore = new Map(list.map((b) => [b, b.joins.length]));

  const killedAt = Date.now();
  dead.stop();
  await streamsOpen(list, ids);
  const failoverMs = Date.now() - killedAt;
  t.diagnostic(`${victims.length} users re-joined on the other bridges within ${failoverMs} ms`);
  for (const id of victims) {
    assert.equal(holder(list, id).address, rendezvousOrder(id, addresses)[1], `${id} goes to its second choice`);
    const session = sessions.get(id) as BridgeSession;
    assert.equal(session.state, 'connected');
    assert.equal(session.stats().reconnects, 1);
  }
  for (const id of bystanders) assert.equal((sessions.get(id) as BridgeSession).stats().reconnects, 0, `${id} was not disturbed`);
  const newJoins = list.slice(1).reduce((n, b) => n + b.joins.length - (joinsBefore.get(b) as number), 0);
  assert.equal(newJoins, victims.length, 'one JoinRoom per moved user');
  assert.equal(c.bridges().find((b) => b.address === dead.address)?.state, 'down');
  assert.ok(failoverMs < 2000, `failover took ${failoverMs} ms`);

  // It comes back: the next health check finds it; new users whose first choice it is go there.
  const joinsBeforeReturn = dead.joins.length;
  await dead.start();
  await waitFor('the bridge up again', () => c.bridges().find((b) => b.address === dead.address)?.state === 'up', 5000);
  const newcomers = users(40, 'late').filter((id) => rendezvousOrder(id, addresses)[0] === dead.address).slice(0, 3);
  await joinAll(c, newcomers);
  for (const id of newcomers) assert.ok(dead.joins.some((j) => j.user_id === id), `${id} placed on the returned bridge`);
  // The moved users stay where they are while their connection works…
  await sleep(300);
  assert.ok(victims.every((id) => !dead.joins.slice(joinsBeforeReturn).some((j) => j.user_id === id)), 'no connected user is moved back');
  // …and go back on their next re-join, after which the bridge they leave gets LeaveRoom.
  const back = victims[0] as string;
  const interim = holder(list, back);
  for (const s of interim.openStreams(back)) s.call.end();
  await waitFor('the re-join on the returned bridge', () => dead.openStreams(back).length > 0, 5000);
  await waitFor('LeaveRoom on the interim bridge', () => interim.leaves.includes(back), 5000);
});

test('the first join finds the chosen bridge dead: it joins the next one without failing', async (t) => {
  const list = await bridges(t, 2);
  const addresses = list.map((b) => b.address);
  const dead = list[0] as TestBridge;
  dead.stop();
  const c = client(t, { addresses, ...FAST });
  const id = users(50).find((u) => rendezvousOrder(u, addresses)[0] === dead.address) as string;
  const startedAt = Date.now();
  await c.session(id).join(JOIN);
  t.diagnostic(`joined in ${Date.now() - startedAt} ms`);
  assert.equal(c.bridgeFor(id), (list[1] as TestBridge).address);
  assert.equal(c.bridges().find((b) => b.address === dead.address)?.state, 'down');
});

test('a bridge that stops answering health checks (connections still open) loses its users; they get LeaveRoom there when it answers again', async (t) => {
  const list = await bridges(t, 2);
  const addresses = list.map((b) => b.address);
  const c = client(t, { addresses, ...FAST });
  const ids = usersOnEach(addresses, 6);
  await joinAll(c, ids);
  await streamsOpen(list, ids);
  const stalled = list[0] as TestBridge;
  const victims = ids.filter((id) => rendezvousOrder(id, addresses)[0] === stalled.address);
  assert.ok(victims.length > 0);
  stalled.healthAnswer = 'hang';
  const since = Date.now();
  await waitFor('the users moved off the stalled bridge', () => victims.every((id) => (list[1] as TestBridge).openStreams(id).length > 0), 5000);
  t.diagnostic(`moved ${victims.length} users ${Date.now() - since} ms after the bridge stopped answering`);
  assert.equal(c.bridges().find((b) => b.address === stalled.address)?.state, 'down');
  await waitFor('the old streams cancelled', () => victims.every((id) => stalled.openStreams(id).length === 0), 2000);
  assert.deepEqual(stalled.leaves, []);

  stalled.healthAnswer = 'SERVING';
  await waitFor('LeaveRoom for every moved user on the bridge that answers again', () => victims.every((id) => stalled.leaves.includes(id)), 5000);
  assert.equal(c.bridges().find((b) => b.address === stalled.address)?.state, 'up');
});

test('a draining bridge (NOT_SERVING) keeps its users and takes no new ones', async (t) => {
  const list = await bridges(t, 2);
  const addresses = list.map((b) => b.address);
  const c = client(t, { addresses, ...FAST });
  const draining = list[0] as TestBridge;
  const mine = users(40).filter((id) => rendezvousOrder(id, addresses)[0] === draining.address);
  const [before, after] = [mine.slice(0, 3), mine.slice(3, 6)];
  const sessions = await joinAll(c, before);
  draining.healthAnswer = 'NOT_SERVING';
  await waitFor('draining', () => c.bridges().find((b) => b.address === draining.address)?.state === 'draining', 2000);
  await joinAll(c, after);
  for (const id of after) assert.equal(c.bridgeFor(id), (list[1] as TestBridge).address);
  for (const id of before) {
    assert.equal(c.bridgeFor(id), draining.address);
    assert.equal((sessions.get(id) as BridgeSession).stats().reconnects, 0);
  }
});

test('a DNS name: every address it resolves to is a bridge; re-resolved when one goes down', async (t) => {
  const first = new TestBridge('127.0.0.1');
  const port = await first.start();
  const second = new TestBridge('127.0.0.2');
  await second.start(port);
  const third = new TestBridge('127.0.0.3');
  await third.start(port);
  t.after(() => [first, second, third].forEach((b) => b.stop()));
  let answer = ['127.0.0.1', '127.0.0.2'];
  const lookups: string[] = [];
  const c = client(t, {
    dns: `bridges.test:${port}`,
    lookup: async (name) => {
      lookups.push(name);
      return answer;
    },
    dnsRefreshMs: 60_000,
    ...FAST,
  });
  const ids = users(10);
  await joinAll(c, ids);
  assert.deepEqual(lookups, ['bridges.test']);
  assert.deepEqual(c.bridges().map((b) => b.address).sort(), [`127.0.0.1:${port}`, `127.0.0.2:${port}`]);
  for (const id of ids) assert.equal(c.bridgeFor(id), rendezvousOrder(id, [`127.0.0.1:${port}`, `127.0.0.2:${port}`])[0]);

  // 127.0.0.2 dies and the name now points at .1 and .3: the failure re-resolves it.
  answer = ['127.0.0.1', '127.0.0.3'];
  second.stop();
  await waitFor('re-resolved', () => lookups.length >= 2, 3000);
  const now = [`127.0.0.1:${port}`, `127.0.0.3:${port}`];
  await waitFor('every user on a listed bridge', () => ids.every((id) => now.includes(c.bridgeFor(id) ?? '') && c.getSession(id)?.state === 'connected'), 5000);
  assert.deepEqual(c.bridges().filter((b) => b.listed).map((b) => b.address).sort(), now);
  await waitFor('the gone bridge forgotten', () => c.bridges().every((b) => b.address !== `127.0.0.2:${port}`), 3000);
});

test('a DNS name that does not resolve: join() rejects UNAVAILABLE naming the lookup error', async (t) => {
  const c = client(t, { dns: 'nowhere.invalid:9090', lookup: async () => { throw new Error('getaddrinfo ENOTFOUND nowhere.invalid'); }, ...FAST });
  await assert.rejects(c.session('u').join(JOIN), (error: unknown) => {
    assert.ok(error instanceof BridgeRpcError);
    assert.match(error.message, /UNAVAILABLE.*ENOTFOUND/);
    return true;
  });
});

test('the default DNS lookup (node:dns) resolves localhost', async (t) => {
  const bridge = new TestBridge('127.0.0.1');
  const port = await bridge.start();
  t.after(() => bridge.stop());
  const c = client(t, { dns: `localhost:${port}`, ...FAST });
  await c.session('u').join(JOIN);
  assert.equal(c.bridgeFor('u'), `127.0.0.1:${port}`);
  assert.equal(bridge.joins.length, 1);
});

test('a bridge that leaves DNS while a join to it is in flight: the session re-joins on another, no unhandled rejection', async (t) => {
  // The pool closes the channel of a bridge that is no longer listed and has no session; a join in
  // flight on it still succeeded, and opening its stream then threw from grpc-js: join() rejected
  // with the session stuck in 'connecting' (and a re-join's rejection went unhandled).
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));
  const first = new TestBridge('127.0.0.1');
  const port = await first.start();
  const second = new TestBridge('127.0.0.2');
  await second.start(port);
  t.after(() => [first, second].forEach((b) => b.stop()));
  const addresses = [`127.0.0.1:${port}`, `127.0.0.2:${port}`];
  const id = usersOnEach(addresses, 1)[1] as string; // placed on the second bridge
  let answer = ['127.0.0.1', '127.0.0.2'];
  second.join = (request) => {
    answer = ['127.0.0.1']; // the bridge leaves DNS while its answer is on the way
    return sleep(800).then(() => ({ success: true, participant_id: `PA_${request.user_id}`, participant_count: 2 }));
  };
  const c = client(t, { dns: `bridges.test:${port}`, lookup: async () => answer, dnsRefreshMs: 100, ...FAST });
  const session = c.session(id);

  await session.join(JOIN);
  await waitFor('connected on the bridge still listed', () => session.state === 'connected' && c.bridgeFor(id) === addresses[0], 5000);
  await streamsOpen([first, second], [id]);
  assert.equal(holder([first, second], id), first);
  assert.equal(second.joins.length, 1);
  assert.deepEqual(unhandled, []);
});

test('aborting play() does not make the client doubt its bridge', async (t) => {
  // The abort cancels the call (CANCELLED): that is the caller's doing, not a bridge that stopped
  // answering, so no extra health check and no 'suspect' state that could move every session.
  const list = await bridges(t, 2);
  const c = client(t, { addresses: list.map((b) => `127.0.0.1:${b.port}`), ...FAST, healthCheck: { intervalMs: 60_000, timeoutMs: 150, failuresToDown: 2 } });
  const session = c.session('player');
  await session.join(JOIN);
  await streamsOpen(list, ['player']);
  const bridge = holder(list, 'player');
  await sleep(200);
  const checksBefore = bridge.healthChecks;
  for (let i = 0; i < 3; i++) {
    const controller = new AbortController();
    const playing = session.play('https://media.test/forever.mp3', { signal: controller.signal });
    await waitFor('PlayAudio reached the bridge', () => bridge.plays.length === i + 1, 2000);
    controller.abort(new Error('user talked over it'));
    await assert.rejects(playing, /talked over/);
    await waitFor('the bridge saw the cancel', () => bridge.playsCancelled === i + 1, 2000);
  }
  await sleep(300);
  assert.equal(bridge.healthChecks, checksBefore, 'health checks caused by the aborts');
  assert.equal(session.state, 'connected');
});
