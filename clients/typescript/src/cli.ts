#!/usr/bin/env node
/**
 * livekit-bridge-demo: joins a room through a running bridge, optionally plays a URL, and
 * prints the level of the incoming audio once per second. Diagnostics go to stderr, levels to
 * stdout.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BridgeClient } from './client.js';
import { formatDbfs, LevelMeter } from './levels.js';
import { BridgePlaybackError } from './errors.js';

const USAGE = `Usage: livekit-bridge-demo --bridge HOST:PORT --room NAME [options]

  --bridge HOST:PORT         bridge gRPC address (default 127.0.0.1:9090)
  --room NAME                LiveKit room to join (required)
  --user ID                  user id of the session (default demo-<pid>)
  --bridge-token TOKEN       the bridge's bearer token (default: $LIVEKIT_BRIDGE_TOKEN)
  --tls-ca FILE              connect with TLS, trusting this CA (PEM)
  --token TOKEN              LiveKit token (default: the bridge mints one)
  --url WS_URL               LiveKit URL (default: the bridge's LIVEKIT_URL)
  --target IDENTITY          forward only this participant's data packets
  --subscribe-target-audio   also forward the target's microphone track
  --play URL                 play this audio URL into the room after joining
  --volume V                 playback volume, a gain > 0; above 1 boosts (default 1)
  --track N                  playback track: 0 speaker, 1 app_audio, 2 tts (default 0)
  --duration SECONDS         leave after this long (default: until Ctrl-C)
  -h, --help                 this text`;

function fail(message: string): never {
  process.stderr.write(`livekit-bridge-demo: ${message}\n`);
  process.exit(2);
}

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) fail(`--${name} needs a number, got ${JSON.stringify(value)}`);
  return n;
}

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString()}] ${message}\n`);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        bridge: { type: 'string', default: '127.0.0.1:9090' },
        room: { type: 'string' },
        user: { type: 'string', default: `demo-${process.pid}` },
        token: { type: 'string' },
        'bridge-token': { type: 'string' },
        'tls-ca': { type: 'string' },
        url: { type: 'string' },
        target: { type: 'string' },
        'subscribe-target-audio': { type: 'boolean', default: false },
        play: { type: 'string' },
        volume: { type: 'string' },
        track: { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const args = parsed.values;
  if (args.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.room === undefined) fail(`--room is required\n${USAGE}`);
  const volume = numberOption('volume', args.volume);
  const trackId = numberOption('track', args.track);
  const durationS = numberOption('duration', args.duration);

  const bridgeToken = args['bridge-token'] ?? process.env.LIVEKIT_BRIDGE_TOKEN;
  const caFile = args['tls-ca'];
  const client = new BridgeClient({
    address: args.bridge ?? '127.0.0.1:9090',
    ...(bridgeToken !== undefined && bridgeToken !== '' && { token: bridgeToken }),
    ...(caFile !== undefined && { tls: { rootCerts: readFileSync(caFile) } }),
  });
  const session = client.session(args.user ?? `demo-${process.pid}`);
  const meter = new LevelMeter();
  let second = 0;
  let ticker: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  session.on('state', (state, previous) => log(`state ${previous} -> ${state}`));
  session.on('reconnecting', (info) => log(`reconnecting: attempt ${info.attempt} in ${info.delayMs} ms (${info.error.message})`));
  session.on('closed', (info) => {
    log(`closed: ${info.reason}${info.error ? ` (${info.error.message})` : ''}`);
    finish(info.reason === 'gave-up' || info.reason === 'lost' ? 1 : 0);
  });
  session.on('audio', (pcm) => meter.push(pcm));

  const stop = (): void => {
    log('leaving');
    session.leave().catch((error: unknown) => log(`leave failed: ${error instanceof Error ? error.message : String(error)}`));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    const joined = await session.join({
      room: args.room,
      ...(args.token !== undefined && { token: args.token }),
      ...(args.url !== undefined && { url: args.url }),
      ...(args.target !== undefined && { targetIdentity: args.target }),
      subscribeTargetAudio: args['subscribe-target-audio'] === true,
    });
    log(`joined room ${args.room} as ${joined.participant_id || '(no id)'} with ${joined.participant_count} participant(s)`);
  } catch (error) {
    log(`join failed: ${error instanceof Error ? error.message : String(error)}`);
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    client.close();
    return 1;
  }

  ticker = setInterval(() => {
    second += 1;
    const level = meter.read();
    process.stdout.write(`${String(second).padStart(4)}s  ${formatDbfs(level.dbfs).padStart(6)} dBFS  peak ${formatDbfs(level.peakDbfs).padStart(6)} dBFS  ${level.samples} samples\n`);
  }, 1000);
  if (durationS !== undefined) deadline = setTimeout(stop, durationS * 1000);

  if (args.play !== undefined) {
    const url = args.play;
    session
      .play(url, {
        ...(volume !== undefined && { volume }),
        ...(trackId !== undefined && { trackId }),
        onProgress: (event) => log(`play ${event.type.toLowerCase()} ${event.position_ms}/${event.duration_ms} ms`),
      })
      .then(
        (result) => log(`play completed at ${result.positionMs}/${result.durationMs} ms${result.stopReason ? ` (${result.stopReason})` : ''}`),
        (error: unknown) => {
          const status = error instanceof BridgePlaybackError && error.httpStatus !== undefined ? ` [HTTP ${error.httpStatus}]` : '';
          log(`play failed: ${error instanceof Error ? error.message : String(error)}${status}`);
        },
      );
  }

  const code = await finished;
  clearInterval(ticker);
  if (deadline !== undefined) clearTimeout(deadline);
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  client.close();
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`livekit-bridge-demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
