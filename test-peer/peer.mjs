// An independent LiveKit participant on LiveKit's own Node SDK, driven by tests.
//
// Protocol: one JSON object per line. Requests on stdin carry an "id" and a "cmd";
// each gets exactly one reply {"id", "ok": true, ...} or {"id", "ok": false, "error"}.
// Asynchronous events are lines with "event" and no id. stdout carries only the
// protocol; logs go to stderr. The process exits when stdin closes.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  DataPacketKind,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  dispose,
} from '@livekit/rtc-node';

const room = new Room();
let connected = false;
let publication = null; // { source, track, sid, stop }
let recording = null;

function emit(obj) {
  if (obj.event) obj.atMs = Date.now();
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function log(...args) {
  process.stderr.write(`[peer] ${args.join(' ')}\n`);
}

function describeParticipant(p) {
  return {
    identity: p.identity,
    sid: p.sid,
    tracks: [...p.trackPublications.values()].map((t) => ({
      sid: t.sid,
      name: t.name,
      kind: t.kind === TrackKind.KIND_AUDIO ? 'audio' : t.kind === TrackKind.KIND_VIDEO ? 'video' : String(t.kind),
      source: String(t.source),
      muted: !!t.muted,
    })),
  };
}

room
  .on(RoomEvent.ParticipantConnected, (p) => emit({ event: 'participantConnected', identity: p.identity, sid: p.sid }))
  .on(RoomEvent.ParticipantDisconnected, (p) => emit({ event: 'participantDisconnected', identity: p.identity, sid: p.sid }))
  .on(RoomEvent.TrackPublished, (pub, p) => emit({ event: 'trackPublished', identity: p.identity, trackSid: pub.sid, name: pub.name }))
  .on(RoomEvent.TrackUnpublished, (pub, p) => emit({ event: 'trackUnpublished', identity: p.identity, trackSid: pub.sid, name: pub.name }))
  .on(RoomEvent.TrackSubscribed, (track, pub, p) => {
    emit({ event: 'trackSubscribed', identity: p.identity, trackSid: pub.sid, name: pub.name, kind: track.kind === TrackKind.KIND_AUDIO ? 'audio' : 'other' });
    if (recording && !recording.stream && track.kind === TrackKind.KIND_AUDIO && (!recording.identity || recording.identity === p.identity)) {
      startStream(track, p.identity);
    }
  })
  .on(RoomEvent.DataReceived, (payload, participant, kind, topic) => {
    emit({
      event: 'data',
      from: participant ? participant.identity : '',
      topic: topic ?? '',
      kind: kind === DataPacketKind.KIND_LOSSY ? 'lossy' : 'reliable',
      payloadB64: Buffer.from(payload).toString('base64'),
      receivedAtMs: Date.now(),
    });
  })
  .on(RoomEvent.Disconnected, (reason) => {
    connected = false;
    emit({ event: 'disconnected', reason: String(reason) });
  });

// ---------------------------------------------------------------- audio out

function readWav(path) {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV file`);
  let offset = 12;
  let fmt = null;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.bits !== 16) throw new Error(`${path}: only 16-bit PCM WAV is supported`);
      const end = Math.min(buf.length, body + size);
      const samples = new Int16Array((end - body) >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { rate: fmt.rate, channels: fmt.channels, samples };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

function tone({ frequency = 440, sampleRate = 48000, channels = 1, amplitude = 8000, durationMs = 1000 }) {
  const frames = Math.round((sampleRate * durationMs) / 1000);
  const samples = new Int16Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
    for (let c = 0; c < channels; c++) samples[i * channels + c] = v;
  }
  return { rate: sampleRate, channels, samples };
}

async function publishAudio(audio, name, reply) {
  if (publication) throw new Error('already publishing; unpublish first');
  const source = new AudioSource(audio.rate, audio.channels);
  const track = LocalAudioTrack.createAudioTrack(name ?? 'peer-mic', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  const pub = await room.localParticipant.publishTrack(track, options);
  const state = { source, track, sid: pub.sid, stopped: false };
  publication = state;
  reply({ trackSid: pub.sid });
  // Feed in real time, 10 ms per frame; captureFrame paces through the source's queue.
  const perFrame = (audio.rate / 100) * audio.channels;
  for (let i = 0; i + perFrame <= audio.samples.length && !state.stopped; i += perFrame) {
    const frame = new AudioFrame(audio.samples.slice(i, i + perFrame), audio.rate, audio.channels, audio.rate / 100);
    await source.captureFrame(frame);
  }
  if (!state.stopped) {
    await source.waitForPlayout();
    emit({ event: 'publishDone', trackSid: state.sid });
  }
}

async function unpublish() {
  const state = publication;
  if (!state) return { unpublished: false };
  state.stopped = true;
  publication = null;
  await room.localParticipant.unpublishTrack(state.sid);
  await state.source.close();
  return { unpublished: true, trackSid: state.sid };
}

// ---------------------------------------------------------------- audio in

function startStream(track, identity) {
  const rec = recording;
  rec.stream = new AudioStream(track, { sampleRate: rec.sampleRate, numChannels: rec.channels });
  rec.identity = identity;
  (async () => {
    try {
      for await (const frame of rec.stream) {
        if (rec.done) break;
        const now = Date.now();
        if (rec.firstFrameAtMs === 0) rec.firstFrameAtMs = now;
        // Wall-clock receipt of loud frames (RMS above -40 dBFS), independent of any time-stretching.
        let sum = 0;
        for (let i = 0; i < frame.data.length; i++) sum += frame.data[i] * frame.data[i];
        const rms = Math.sqrt(sum / Math.max(1, frame.data.length));
        if (rms > 327.68) {
          if (rec.firstLoudAtMs === 0) rec.firstLoudAtMs = now;
          rec.lastLoudAtMs = now;
        }
        rec.chunks.push(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
        rec.samples += frame.data.length;
      }
    } catch (e) {
      log('recording stream ended:', e?.message ?? e);
    }
  })();
}

function writeWav(path, rate, channels, chunks) {
  const data = Buffer.concat(chunks);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

// ---------------------------------------------------------------- commands

const commands = {
  async join({ url, token, autoSubscribe = true }) {
    await room.connect(url, token, { autoSubscribe, dynacast: false });
    connected = true;
    return {
      identity: room.localParticipant.identity,
      sid: room.localParticipant.sid,
      participants: [...room.remoteParticipants.values()].map((p) => p.identity),
    };
  },

  async participants() {
    return { participants: [...room.remoteParticipants.values()].map(describeParticipant) };
  },

  async sendData({ packets, intervalMs = 0 }) {
    if (!connected) throw new Error('not connected');
    let count = 0;
    for (const p of packets) {
      await room.localParticipant.publishData(Buffer.from(p.payloadB64, 'base64'), {
        reliable: p.reliable !== false,
        topic: p.topic || undefined,
        destination_identities: p.destinations && p.destinations.length ? p.destinations : undefined,
      });
      count++;
      if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
    }
    return { count };
  },

  publishWav({ path, name }, reply) {
    return publishAudio(readWav(path), name, reply);
  },

  publishTone(args, reply) {
    return publishAudio(tone(args), args.name, reply);
  },

  async unpublish() {
    return unpublish();
  },

  async record({ identity, path, sampleRate = 48000, channels = 1 }) {
    if (recording) throw new Error('already recording');
    recording = { identity: identity ?? null, path, sampleRate, channels, chunks: [], samples: 0, firstFrameAtMs: 0, firstLoudAtMs: 0, lastLoudAtMs: 0, stream: null, done: false };
    for (const p of room.remoteParticipants.values()) {
      if (identity && p.identity !== identity) continue;
      for (const pub of p.trackPublications.values()) {
        if (pub.track && pub.kind === TrackKind.KIND_AUDIO) {
          startStream(pub.track, p.identity);
          return { recording: true, attached: true };
        }
      }
    }
    return { recording: true, attached: false };
  },

  async stopRecording() {
    const rec = recording;
    if (!rec) throw new Error('not recording');
    recording = null;
    rec.done = true;
    if (rec.stream) {
      try {
        await rec.stream.cancel?.();
      } catch {
        // already closed
      }
    }
    writeWav(rec.path, rec.sampleRate, rec.channels, rec.chunks);
    return { path: rec.path, samples: rec.samples, sampleRate: rec.sampleRate, channels: rec.channels, firstFrameAtMs: rec.firstFrameAtMs, firstLoudAtMs: rec.firstLoudAtMs, lastLoudAtMs: rec.lastLoudAtMs, identity: rec.identity };
  },

  async leave() {
    if (publication) await unpublish();
    await room.disconnect();
    connected = false;
    return { left: true };
  },
};

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    emit({ id: null, ok: false, error: `not JSON: ${line.slice(0, 80)}` });
    return;
  }
  const { id, cmd, ...args } = request;
  const fn = commands[cmd];
  if (!fn) {
    emit({ id, ok: false, error: `unknown command '${cmd}'` });
    return;
  }
  let replied = false;
  const reply = (result) => {
    if (replied) return;
    replied = true;
    emit({ id, ok: true, ...result });
  };
  try {
    const result = await fn(args, reply);
    reply(result ?? {});
  } catch (e) {
    if (!replied) {
      replied = true;
      emit({ id, ok: false, error: e?.message ?? String(e) });
    } else {
      emit({ event: 'error', cmd, error: e?.message ?? String(e) });
    }
  }
}

process.on('unhandledRejection', (e) => emit({ event: 'error', error: e?.message ?? String(e) }));
process.on('uncaughtException', (e) => emit({ event: 'error', error: e?.message ?? String(e) }));

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim()) handle(line);
});
lines.on('close', async () => {
  try {
    if (connected) await room.disconnect();
  } catch {
    // exiting anyway
  }
  await dispose();
  process.exit(0);
});
emit({ event: 'ready' });
