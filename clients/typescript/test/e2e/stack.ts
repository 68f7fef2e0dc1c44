/**
 * The real system for end-to-end tests: livekit-server (the binary scripts/test.sh built), the
 * Java bridge as a child process, the rtc-node peer (test-peer/peer.mjs) and a local HTTP server
 * for audio, all on the test namespace's address. Everything started here is stopped by stop().
 * Missing prerequisites throw: these tests never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sleep } from '../support/wait.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with scripts/test.sh (it prepares the namespace, livekit-server and the bridge)`);
  return value;
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        done(true);
      });
      socket.on('error', () => done(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((done) => child.once('exit', () => done()));
}

/** A LiveKit access token (HS256 JWT) that may join, publish, subscribe and send data. */
export function token(apiKey: string, secret: string, room: string, identity: string): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    iss: apiKey,
    sub: identity,
    name: identity,
    nbf: now - 10,
    exp: now + 3600,
    video: { roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true },
  })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** A 16-bit mono WAV of a sine. */
export function wav(frequency: number, ms: number, rate = 16000): Buffer {
  const frames = Math.round((rate * ms) / 1000);
  const out = Buffer.alloc(44 + frames * 2);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + frames * 2, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(frames * 2, 40);
  for (let i = 0; i < frames; i++) out.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * frequency * i) / rate)), 44 + 2 * i);
  return out;
}

/** Options for a LiveKit node other than the single-node default (multi-node tests). */
export interface LiveKitOptions {
  /** The key pair; default a fresh one. Nodes of one cluster share it. */
  keys?: { apiKey: string; secret: string };
  /** RTC UDP port range; default 56000-56199. */
  portRange?: [number, number];
  /** More top-level YAML lines (e.g. `redis:` for multi-node mode, `region:`, `node_selector:`). */
  extraYaml?: readonly string[];
  /** Log level; default warn. */
  logLevel?: string;
  /** Keep LiveKit's log lines (JSON) in `log`. Default false (discarded). */
  captureLog?: boolean;
}

export class LiveKit {
  readonly apiKey: string;
  readonly secret: string;
  readonly url: string;
  /** LiveKit's log lines, with captureLog. */
  readonly log: string[] = [];
  #process: ChildProcess | undefined;

  constructor(readonly ip: string, readonly port: number, readonly options: LiveKitOptions = {}) {
    this.url = `ws://${ip}:${port}`;
    this.apiKey = options.keys?.apiKey ?? `API${randomBytes(6).toString('hex')}`;
    this.secret = options.keys?.secret ?? randomBytes(24).toString('hex');
  }

  async start(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'lk-e2e-'));
    const config = join(dir, 'livekit.yaml');
    writeFileSync(config, [
      `port: ${this.port}`,
      `bind_addresses: ["${this.ip}"]`,
      'rtc:',
      `  tcp_port: ${this.port + 1}`,
      `  port_range_start: ${this.options.portRange?.[0] ?? 56000}`,
      `  port_range_end: ${this.options.portRange?.[1] ?? 56199}`,
      '  use_external_ip: false',
      `  node_ip: ${this.ip}`,
      'keys:',
      `  ${this.apiKey}: ${this.secret}`,
      'logging:',
      `  level: ${this.options.logLevel ?? 'warn'}`,
      ...(this.options.captureLog === true ? ['  json: true'] : []),
      ...(this.options.extraYaml ?? []),
      '',
    ].join('\n'));
    const capture = this.options.captureLog === true;
    const child = spawn(env('LKB_LIVEKIT_SERVER_BIN'), ['--config', config], { stdio: ['ignore', capture ? 'pipe' : 'ignore', capture ? 'pipe' : 'ignore'] });
    this.#process = child;
    if (capture) {
      for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => this.log.push(line));
    }
    await waitForPort(this.ip, this.port, 20_000);
  }

  /** The identities in `room`, from LiveKit's own RoomService (Twirp). */
  async participants(room: string): Promise<string[]> {
    return (await this.participantInfos(room)).map((p) => p.identity).sort();
  }

  /** The participants of `room` with their sids (RoomService ListParticipants). */
  async participantInfos(room: string): Promise<{ identity: string; sid: string }[]> {
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: this.apiKey, nbf: now - 10, exp: now + 600, video: { roomAdmin: true, room } })}`;
    const jwt = `${body}.${createHmac('sha256', this.secret).update(body).digest('base64url')}`;
    const response = await fetch(`http://${this.ip}:${this.port}/twirp/livekit.RoomService/ListParticipants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ room }),
    });
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`ListParticipants ${room}: HTTP ${response.status} ${await response.text()}`);
    const json = (await response.json()) as { participants?: { identity: string; sid: string }[] };
    return (json.participants ?? []).map((p) => ({ identity: p.identity, sid: p.sid }));
  }

  async stop(): Promise<void> {
    if (!this.#process) return;
    this.#process.kill('SIGKILL');
    await exited(this.#process);
    this.#process = undefined;
  }
}

/** Debian's redis-server (LKB_REDIS_SERVER, else on PATH), no persistence: LiveKit's multi-node bus. */
export class Redis {
  readonly address: string;
  #process: ChildProcess | undefined;

  constructor(readonly ip: string, readonly port: number) {
    this.address = `${ip}:${port}`;
  }

  async start(): Promise<void> {
    const bin = process.env.LKB_REDIS_SERVER || 'redis-server';
    const child = spawn(bin, ['--bind', this.ip, '--port', String(this.port), '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--logfile', ''], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    this.#process = child;
    const failed = new Promise<never>((_, fail) => {
      child.once('error', (error) => fail(new Error(`cannot start ${bin} (scripts/test.sh installs Debian's redis-server): ${error.message}`)));
      child.once('exit', (code) => fail(new Error(`${bin} exited with ${code} before it listened on ${this.address}`)));
    });
    failed.catch(() => {});
    await Promise.race([waitForPort(this.ip, this.port, 10_000), failed]);
    child.removeAllListeners('exit');
  }

  async stop(): Promise<void> {
    if (!this.#process) return;
    this.#process.kill('SIGKILL');
    await exited(this.#process);
    this.#process = undefined;
  }
}

/** The Java bridge, started from the jar `mvn install` built. */
export class JavaBridge {
  readonly address: string;
  #process: ChildProcess | undefined;
  readonly log: string[] = [];

  constructor(readonly ip: string, readonly port: number, readonly livekit: LiveKit, readonly extraEnv: Readonly<Record<string, string>> = {}) {
    this.address = `${ip}:${port}`;
  }

  async start(): Promise<void> {
    const jar = join(REPO, 'bridge-server/target/bridge-server-0.1.0-SNAPSHOT.jar');
    if (!existsSync(jar)) throw new Error(`${jar} is missing: scripts/test.sh builds it (mvn install) before the TypeScript tests`);
    const child = spawn(env('LKB_JAVA'), ['--enable-native-access=ALL-UNNAMED', '-cp', `${jar}:${join(REPO, 'bridge-server/target/lib/*')}`,
      'com.mentra.bridge.server.BridgeMain'], {
      env: {
        ...process.env,
        PORT: String(this.port),
        BIND_ADDRESS: this.ip,
        LIVEKIT_URL: this.livekit.url,
        LIVEKIT_API_KEY: this.livekit.apiKey,
        LIVEKIT_API_SECRET: this.livekit.secret,
        AUDIO_URL_ALLOW_PRIVATE: 'true',
        BRIDGE_AUTH_TOKENS: BRIDGE_TOKEN,
        LOG_LEVEL: 'WARN',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#process = child;
    const ready = new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`the bridge did not start within 30 s:\n${this.log.join('\n')}`)), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        this.log.push(line);
        if (line.includes('LiveKit bridge ready')) {
          clearTimeout(timer);
          done();
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => this.log.push(line));
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`the bridge exited with ${code}:\n${this.log.join('\n')}`));
      });
    });
    await ready;
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    if (!this.#process) return;
    this.#process.removeAllListeners('exit');
    this.#process.kill('SIGKILL');
    await exited(this.#process);
    this.#process = undefined;
  }
}

interface PeerReply {
  id: number;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** The independent participant on LiveKit's own Node SDK, driven over JSON lines. */
export class Peer {
  readonly events: Array<Record<string, unknown>> = [];
  #process: ChildProcess;
  #next = 1;
  #pending = new Map<number, (reply: PeerReply) => void>();

  constructor() {
    const dir = env('LKB_TEST_PEER_DIR');
    this.#process = spawn(process.execPath, [join(dir, 'peer.mjs')], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
    createInterface({ input: this.#process.stdout! }).on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (typeof message.id === 'number') this.#pending.get(message.id)?.(message as unknown as PeerReply);
      else if (typeof message.event === 'string') this.events.push(message);
    });
  }

  call(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<PeerReply> {
    const id = this.#next++;
    return new Promise<PeerReply>((done, fail) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        fail(new Error(`peer: no reply to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        if (reply.ok) done(reply);
        else fail(new Error(`peer ${cmd} failed: ${reply.error}`));
      });
      this.#process.stdin!.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  async stop(): Promise<void> {
    this.#process.stdin!.end();
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5000);
    await exited(this.#process);
    clearTimeout(timer);
  }
}

/** Serves /tone.wav (1 s of 440 Hz) and 404 for anything else. */
export async function audioServer(ip: string): Promise<{ url: (path: string) => string; close: () => Promise<void> }> {
  const tone = wav(440, 1000);
  const server: Server = createServer((req, res) => {
    if (req.url === '/tone.wav') {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': tone.length });
      res.end(tone);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((done) => server.listen(0, ip, done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: (path) => `http://${ip}:${port}${path}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export const nodeIp = (): string => env('LKB_NODE_IP');

/** The bearer token the e2e bridge requires (BRIDGE_AUTH_TOKENS). */
export const BRIDGE_TOKEN = 'e2e-bridge-token-0123456789';
