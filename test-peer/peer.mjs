// An independent LiveKit participant on LiveKit's own Node SDK (@livekit/rtc-node), driven by tests.
//
// Protocol (see README.md): one JSON object per line. Requests on stdin carry an "id" and a
// "cmd"; each gets exactly one reply {"id", "ok": true, ...} or {"id", "ok": false, "error"}.
// Asynchronous events are lines with "event" (and "atMs", the wall clock) and no id. stdout
// carries only the protocol; every log, the SDK's included, goes to stderr. The process exits
// when stdin closes (after leaving the room, 3 s at most).
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

// ------------------------------------------------------------ stdout is the protocol only
// The SDK logs with pino straight to fd 1. Keep a private descriptor on the protocol pipe,
// then make fd 1 a second handle on stderr (open() returns the lowest free descriptor), so
// SDK logs land in the log file and never in the protocol. Falls back to fd 1 off Linux.
let protocolFd = 1;
try {
  const fd = openSync('/proc/self/fd/1', 'a');
  closeSync(1);
  const again = openSync('/proc/self/fd/2', 'a');
  if (again !== 1) throw new Error(`stderr reopened as fd ${again}, not 1`);
  protocolFd = fd;
} catch (e) {
  process.stderr.write(`[peer] cannot separate SDK logs from the protocol: ${e?.message ?? e}\n`);
}

const {
  AudioFrame,
  AudioSource,
  AudioStream,
  DataPacketKind,
  DisconnectReason,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  dispose,
} = await import('@livekit/rtc-node');

function emit(obj) {
  if (obj.event) obj.atMs = Date.now();
  const line = Buffer.from(JSON.stringify(obj) + '\n');
  let off = 0;
  while (off < line.length) {
    try {
      off += writeSync(protocolFd, line, off);
    } catch (e) {
      if (e.code === 'EAGAIN') continue; // non-blocking pipe momentarily full
      if (e.code === 'EPIPE') process.exit(0); // the driver is gone
      throw e;
    }
  }
}

function log(...args) {
  process.stderr.write(`[peer ${new Date().toISOString()}] ${args.join(' ')}\n`);
}

function errorText(e) {
  return e?.message ?? String(e);
}

// ------------------------------------------------------------------------ room state
const room = new Room();
let connected = false;
let autoSubscribe = true;
const publications = new Map(); // trackSid -> { source, stopped }
let recording = null;

const SOURCES = {
  [TrackSource.SOURCE_UNKNOWN]: 'unknown',
  [TrackSource.SOURCE_CAMERA]: 'camera',
  [TrackSource.SOURCE_MICROPHONE]: 'microphone',
  [TrackSource.SOURCE_SCREENSHARE]: 'screen_share',
  [TrackSource.SOURCE_SCREENSHARE_AUDIO]: 'screen_share_audio',
};
const SOURCE_BY_NAME = Object.fromEntries(Object.entries(SOURCES).map(([k, v]) => [v, Number(k)]));

function kindName(kind) {
  return kind === TrackKind.KIND_AUDIO ? 'audio' : kind === TrackKind.KIND_VIDEO ? 'video' : 'unknown';
}

function describeTrack(pub) {
  return { sid: pub.sid, name: pub.name, kind: kindName(pub.kind), source: SOURCES[pub.source] ?? 'unknown', muted: !!pub.muted, subscribed: !!pub.track };
}

function describeParticipant(p) {
  return { identity: p.identity, sid: p.sid, tracks: [...p.trackPublications.values()].map(describeTrack) };
}

function trackEvent(event, pub, p) {
  return { event, identity: p.identity, trackSid: pub.sid, name: pub.name, kind: kindName(pub.kind), source: SOURCES[pub.source] ?? 'unknown' };
}

function wantsTrack(rec, pub, p) {
  return pub.kind === TrackKind.KIND_AUDIO && (!rec.identity || rec.identity === p.identity);
}

room
  .on(RoomEvent.ParticipantConnected, (p) => emit({ event: 'participantConnected', identity: p.identity, sid: p.sid }))
  .on(RoomEvent.ParticipantDisconnected, (p) => emit({ event: 'participantDisconnected', identity: p.identity, sid: p.sid }))
  .on(RoomEvent.TrackPublished, (pub, p) => {
    emit(trackEvent('trackPublished', pub, p));
    // Without auto-subscribe, a pending recording subscribes to the track it waits for.
    if (recording && !recording.reader && !autoSubscribe && wantsTrack(recording, pub, p)) pub.setSubscribed(true);
  })
  .on(RoomEvent.TrackUnpublished, (pub, p) => emit(trackEvent('trackUnpublished', pub, p)))
  .on(RoomEvent.TrackSubscribed, (track, pub, p) => {
    emit(trackEvent('trackSubscribed', pub, p));
    if (recording && !recording.reader && wantsTrack(recording, pub, p)) attach(recording, track, pub, p);
  })
  .on(RoomEvent.TrackUnsubscribed, (track, pub, p) => emit(trackEvent('trackUnsubscribed', pub, p)))
  .on(RoomEvent.TrackSubscriptionFailed, (p, trackSid, error) => emit({ event: 'trackSubscriptionFailed', identity: p.identity, trackSid, error: String(error) }))
  .on(RoomEvent.TrackMuted, (pub, p) => emit({ event: 'trackMuted', identity: p.identity, trackSid: pub.sid }))
  .on(RoomEvent.TrackUnmuted, (pub, p) => emit({ event: 'trackUnmuted', identity: p.identity, trackSid: pub.sid }))
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
  .on(RoomEvent.Reconnecting, () => emit({ event: 'reconnecting' }))
  .on(RoomEvent.Reconnected, () => emit({ event: 'reconnected' }))
  .on(RoomEvent.Disconnected, (reason) => {
    connected = false;
    emit({ event: 'disconnected', reason: DisconnectReason?.[reason] ?? String(reason) });
  });

// ------------------------------------------------------------------------- audio out

function readWav(path) {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV file`);
  let offset = 12;
  let fmt = null;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
      if (fmt.format === 0xfffe && size >= 26) fmt.format = buf.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE sub-format
    } else if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.bits !== 16) throw new Error(`${path}: only 16-bit PCM WAV is supported`);
      if (fmt.channels < 1 || fmt.rate < 1) throw new Error(`${path}: bad format ${JSON.stringify(fmt)}`);
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

async function publishAudio(audio, name, sourceName) {
  if (!connected) throw new Error('not connected');
  if (audio.rate % 100 !== 0) throw new Error(`sample rate ${audio.rate} is not a multiple of 100 (10 ms frames)`);
  const trackSource = SOURCE_BY_NAME[sourceName ?? 'microphone'];
  if (trackSource === undefined) throw new Error(`unknown track source '${sourceName}'`);
  const source = new AudioSource(audio.rate, audio.channels);
  const track = LocalAudioTrack.createAudioTrack(name ?? 'peer-audio', source);
  const options = new TrackPublishOptions();
  options.source = trackSource;
  let pub;
  try {
    pub = await room.localParticipant.publishTrack(track, options);
  } catch (e) {
    await source.close().catch(() => {});
    throw e;
  }
  const state = { source, sid: pub.sid, stopped: false };
  publications.set(pub.sid, state);
  feed(state, audio); // runs on; the reply goes out now
  return { trackSid: pub.sid, durationMs: Math.round((audio.samples.length / audio.channels / audio.rate) * 1000) };
}

// Feeds 10 ms frames; captureFrame resolves as the source's 1 s queue drains in real time.
async function feed(state, audio) {
  const perChannel = audio.rate / 100;
  const perFrame = perChannel * audio.channels;
  let frames = 0;
  try {
    for (let i = 0; i < audio.samples.length && !state.stopped; i += perFrame) {
      const data = new Int16Array(perFrame); // the last frame is padded with silence
      data.set(audio.samples.subarray(i, Math.min(i + perFrame, audio.samples.length)));
      await state.source.captureFrame(new AudioFrame(data, audio.rate, audio.channels, perChannel));
      frames++;
    }
    if (!state.stopped) await state.source.waitForPlayout();
    if (!state.stopped) emit({ event: 'publishDone', trackSid: state.sid, frames, durationMs: frames * 10 });
  } catch (e) {
    if (!state.stopped) {
      log('publishing', state.sid, 'failed:', errorText(e));
      emit({ event: 'publishError', trackSid: state.sid, error: errorText(e) });
    }
  }
}

async function unpublish(trackSid) {
  const targets = trackSid ? [trackSid] : [...publications.keys()];
  if (trackSid && !publications.has(trackSid)) throw new Error(`not publishing ${trackSid}`);
  for (const sid of targets) {
    const state = publications.get(sid);
    publications.delete(sid);
    state.stopped = true;
    state.source.clearQueue();
    try {
      if (connected) await room.localParticipant.unpublishTrack(sid);
    } finally {
      await state.source.close().catch(() => {});
    }
  }
  return { unpublished: targets };
}

// -------------------------------------------------------------------------- audio in

function attach(rec, track, pub, p) {
  const stream = new AudioStream(track, { sampleRate: rec.sampleRate, numChannels: rec.channels });
  const reader = stream.getReader();
  rec.reader = reader;
  rec.identity = rec.identity ?? p.identity;
  rec.trackSid = pub.sid;
  rec.attachedTrackSids.push(pub.sid);
  log('recording', p.identity, pub.sid);
  (async () => {
    try {
      for (;;) {
        const { value: frame, done } = await reader.read();
        if (done || rec.done) break;
        onFrame(rec, frame);
      }
    } catch (e) {
      if (!rec.done) log('recording stream failed:', errorText(e));
    }
    if (rec.done || rec.reader !== reader) return;
    // The track ended (unpublished, participant gone). Wait for the next matching track.
    rec.reader = null;
    rec.endedAtMs = Date.now();
    emit({ event: 'recordingTrackEnded', trackSid: pub.sid, identity: p.identity });
    attachExisting(rec, track);
  })();
}

const LOUD_RUN_GAP_MS = 300;

function onFrame(rec, frame) {
  const now = Date.now();
  if (rec.firstFrameAtMs === 0) rec.firstFrameAtMs = now;
  if (rec.endedAtMs) {
    // Between two tracks no frames flow: keep the timeline by writing the silence that passed.
    const missing = Math.round(((now - rec.endedAtMs) * rec.sampleRate) / 1000) * rec.channels;
    if (missing > 0) {
      rec.chunks.push(Buffer.alloc(missing * 2));
      rec.samples += missing;
      rec.gapFilledMs += now - rec.endedAtMs;
    }
    rec.endedAtMs = 0;
  }
  const data = frame.data;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  // Wall-clock receipt of loud frames (RMS above -40 dBFS), independent of any time-stretching.
  if (Math.sqrt(sum / Math.max(1, data.length)) > 327.68) {
    if (rec.firstLoudAtMs === 0) rec.firstLoudAtMs = now;
    rec.lastLoudAtMs = now;
    // Runs of loud frames with at least LOUD_RUN_GAP_MS of quieter audio between them (counted in
    // samples, so a late delivery does not split a sound): each sound's arrival and end.
    const run = rec.loudRuns[rec.loudRuns.length - 1];
    if (!run || rec.samples - run.endSample >= (LOUD_RUN_GAP_MS * rec.sampleRate * rec.channels) / 1000) {
      if (rec.loudRuns.length < 1000) rec.loudRuns.push({ startAtMs: now, endAtMs: now, startSample: rec.samples, endSample: rec.samples + data.length });
    } else {
      run.endAtMs = now;
      run.endSample = rec.samples + data.length;
    }
  }
  rec.chunks.push(Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
  rec.samples += data.length;
}

function attachExisting(rec, endedTrack) {
  for (const p of room.remoteParticipants.values()) {
    for (const pub of p.trackPublications.values()) {
      if (!wantsTrack(rec, pub, p) || (endedTrack && pub.track === endedTrack)) continue;
      if (pub.track) {
        attach(rec, pub.track, pub, p);
        return true;
      }
      if (!autoSubscribe || !pub.subscribed) pub.setSubscribed(true);
    }
  }
  return false;
}

function wavBytes(rate, channels, chunks) {
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
  return Buffer.concat([header, data]);
}

// -------------------------------------------------------------------------- commands

function requireString(args, key) {
  if (typeof args[key] !== 'string' || args[key] === '') throw new Error(`'${key}' (string) is required`);
  return args[key];
}

const commands = {
  async ping() {
    return { pong: true, atMs: Date.now() };
  },

  async join(args) {
    if (connected) throw new Error('already joined');
    const url = requireString(args, 'url');
    const token = requireString(args, 'token');
    autoSubscribe = args.autoSubscribe !== false;
    await room.connect(url, token, { autoSubscribe, dynacast: false });
    connected = true;
    return {
      identity: room.localParticipant.identity,
      sid: room.localParticipant.sid,
      room: room.name,
      participants: [...room.remoteParticipants.values()].map((p) => p.identity),
    };
  },

  async participants() {
    return { participants: [...room.remoteParticipants.values()].map(describeParticipant) };
  },

  async sendData({ packets, intervalMs = 0, stampAt }) {
    if (!connected) throw new Error('not connected');
    if (!Array.isArray(packets)) throw new Error("'packets' (array) is required");
    if (stampAt !== undefined && (!Number.isInteger(stampAt) || stampAt < 0)) throw new Error("'stampAt' must be a byte offset");
    let count = 0;
    let firstSentAtMs = 0;
    for (const p of packets) {
      if (count > 0 && intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
      if (typeof p?.payloadB64 !== 'string') throw new Error(`packet ${count}: 'payloadB64' (string) is required; ${count} sent`);
      try {
        const payload = Buffer.from(p.payloadB64, 'base64');
        // The send time (µs since the epoch, int64 big-endian) lets the receiver measure latency.
        if (stampAt !== undefined) {
          if (payload.length < stampAt + 8) throw new Error(`packet ${count}: too short for a timestamp at ${stampAt}`);
          payload.writeBigInt64BE(BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)), stampAt);
        }
        await room.localParticipant.publishData(payload, {
          reliable: p.reliable !== false,
          topic: p.topic || undefined,
          destination_identities: Array.isArray(p.destinations) && p.destinations.length ? p.destinations : undefined,
        });
      } catch (e) {
        throw new Error(`packet ${count}: ${errorText(e)}; ${count} sent`);
      }
      if (count === 0) firstSentAtMs = Date.now();
      count++;
    }
    return { count, firstSentAtMs, lastSentAtMs: Date.now() };
  },

  async publishWav(args) {
    return publishAudio(readWav(requireString(args, 'path')), args.name, args.source);
  },

  async publishTone(args) {
    return publishAudio(tone(args), args.name ?? 'peer-tone', args.source);
  },

  async unpublish({ trackSid }) {
    return unpublish(trackSid);
  },

  // More tone into a track published earlier whose audio ran out: a pause and a resumption of
  // the track's audio on the same publication (what a mute and unmute look like on the wire;
  // rtc-node 1.1 has no mute API).
  async feedTone(args) {
    const state = publications.get(requireString(args, 'trackSid'));
    if (!state) throw new Error(`not publishing ${args.trackSid}`);
    const audio = tone(args);
    if (audio.rate !== state.source.sampleRate) throw new Error(`the track's source runs at ${state.source.sampleRate} Hz`);
    feed(state, audio);
    return { trackSid: args.trackSid, durationMs: Math.round((audio.samples.length / audio.channels / audio.rate) * 1000) };
  },

  async record(args) {
    if (recording) throw new Error('already recording');
    const path = requireString(args, 'path');
    const sampleRate = args.sampleRate ?? 48000;
    const channels = args.channels ?? 1;
    if (!(sampleRate > 0) || !(channels > 0)) throw new Error('bad sampleRate/channels');
    recording = {
      identity: args.identity || null, path, sampleRate, channels,
      chunks: [], samples: 0, firstFrameAtMs: 0, firstLoudAtMs: 0, lastLoudAtMs: 0,
      reader: null, done: false, trackSid: null, attachedTrackSids: [], endedAtMs: 0, gapFilledMs: 0, loudRuns: [],
    };
    return { recording: true, attached: attachExisting(recording) };
  },

  async stopRecording() {
    const rec = recording;
    if (!rec) throw new Error('not recording');
    recording = null;
    rec.done = true;
    if (rec.reader) await rec.reader.cancel().catch(() => {});
    writeFileSync(rec.path, wavBytes(rec.sampleRate, rec.channels, rec.chunks));
    return {
      path: rec.path, samples: rec.samples, frames: rec.samples / rec.channels, sampleRate: rec.sampleRate, channels: rec.channels,
      firstFrameAtMs: rec.firstFrameAtMs, firstLoudAtMs: rec.firstLoudAtMs, lastLoudAtMs: rec.lastLoudAtMs,
      identity: rec.identity, trackSids: rec.attachedTrackSids, gapFilledMs: rec.gapFilledMs, loudRuns: rec.loudRuns,
    };
  },

  // libwebrtc's statistics of a subscribed remote track (default: the one being recorded), one
  // entry per report: {type: "inboundRtp" | "codec" | "candidatePair" | ..., ...fields}, the
  // report's nested groups flattened, 64-bit counters as decimal strings. rtc-node 1.1 has no
  // Track.getStats, so this asks its FFI client (a process-wide singleton) directly.
  async stats({ trackSid }) {
    const sid = trackSid || recording?.trackSid;
    if (!sid) throw new Error("'trackSid' is required when nothing is being recorded");
    let track = null;
    for (const p of room.remoteParticipants.values()) {
      const pub = p.trackPublications.get(sid);
      if (pub?.track) track = pub.track;
    }
    if (!track) throw new Error(`no subscribed remote track ${sid}`);
    const ffi = globalThis._ffiClientInstance;
    if (!ffi || typeof ffi.request !== 'function') throw new Error('rtc-node FFI client not found (SDK changed?)');
    const res = ffi.request({ message: { case: 'getStats', value: { trackHandle: track.ffi_handle.handle } } });
    const cb = await ffi.waitFor((ev) => ev.message.case === 'getStats' && ev.message.value.asyncId === res.asyncId);
    if (cb.error) throw new Error(cb.error);
    const stats = cb.stats.map((s) => {
      const flat = { type: s.stats.case };
      for (const [group, fields] of Object.entries(s.stats.value?.toJson({ emitDefaultValues: true }) ?? {})) {
        if (fields && typeof fields === 'object' && !Array.isArray(fields)) Object.assign(flat, fields);
        else flat[group] = fields;
      }
      return flat;
    });
    return { trackSid: sid, stats };
  },

  async leave() {
    if (publications.size) await unpublish().catch((e) => log('unpublish on leave:', errorText(e)));
    if (connected) await room.disconnect();
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
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    emit({ id: null, ok: false, error: 'a request is a JSON object' });
    return;
  }
  const { id = null, cmd, ...args } = request;
  const fn = Object.hasOwn(commands, cmd) ? commands[cmd] : null;
  if (!fn) {
    emit({ id, ok: false, error: `unknown command '${cmd}'` });
    return;
  }
  try {
    const result = await fn(args);
    emit({ ...result, id, ok: true });
  } catch (e) {
    log(cmd, 'failed:', e?.stack ?? errorText(e));
    emit({ id, ok: false, error: errorText(e) });
  }
}

process.on('unhandledRejection', (e) => {
  log('unhandled rejection:', e?.stack ?? errorText(e));
  emit({ event: 'error', error: errorText(e) });
});
process.on('uncaughtException', (e) => {
  log('uncaught exception:', e?.stack ?? errorText(e));
  emit({ event: 'error', error: errorText(e) });
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim()) handle(line);
});
lines.on('close', async () => {
  setTimeout(() => process.exit(0), 3000).unref();
  try {
    for (const state of publications.values()) state.stopped = true;
    if (connected) await room.disconnect();
    await dispose();
  } catch (e) {
    log('shutdown:', errorText(e));
  }
  process.exit(0);
});
log('ready, pid', process.pid);
emit({ event: 'ready', pid: process.pid });
