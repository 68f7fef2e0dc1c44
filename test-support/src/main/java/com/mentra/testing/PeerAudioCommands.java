package com.mentra.testing;

import static com.mentra.testing.TestPeer.DEFAULT_TIMEOUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The independent peer's audio commands: publishing a WAV file or a generated tone, feeding more
 * tone, unpublishing, and recording the audio it receives. {@link TestPeer} carries them out with
 * its {@link #call} and {@link #awaitEvent}; like every call, each waits with a timeout and throws
 * {@link IllegalStateException} on an error reply, a timeout or a dead process.
 *
 * <p>Thread-safe as {@link TestPeer} is: commands may come from several threads and run
 * concurrently in the peer.
 */
public interface PeerAudioCommands {
  /** Sends a raw command and returns the ok reply (see {@link TestPeer#call}). */
  JsonNode call(String cmd, Object args, Duration timeout);

  /** Waits for an event named {@code type} matching {@code filter} (see {@link TestPeer}). */
  JsonNode awaitEvent(String type, Predicate<JsonNode> filter, Duration timeout);

  /** Publishes a WAV file (16-bit PCM) in real time as a microphone track; returns its sid. */
  default String publishWav(Path wav, String trackName) {
    return publishWav(wav, trackName, "microphone");
  }

  /**
   * Publishes a WAV file (16-bit PCM, any rate that is a multiple of 100 Hz, any channel count) in
   * real time, 10 ms frames; returns the track sid once published. Event {@code publishDone}
   * follows when the file has played out. {@code source}: "microphone", "screen_share_audio", ...
   */
  default String publishWav(Path wav, String trackName, String source) {
    return call(
            "publishWav",
            Map.of("path", wav.toAbsolutePath().toString(), "name", trackName, "source", source),
            DEFAULT_TIMEOUT)
        .get("trackSid")
        .asText();
  }

  /** Publishes a generated mono sine tone in real time; returns the track sid. */
  default String publishTone(double frequency, int sampleRate, int amplitude, long durationMs) {
    return publishTone(frequency, sampleRate, 1, amplitude, durationMs);
  }

  /**
   * Publishes a generated sine tone (same on every channel) in real time as "peer-tone"; returns
   * the track sid.
   */
  default String publishTone(
      double frequency, int sampleRate, int channels, int amplitude, long durationMs) {
    return call(
            "publishTone",
            Map.of(
                "frequency",
                frequency,
                "sampleRate",
                sampleRate,
                "channels",
                channels,
                "amplitude",
                amplitude,
                "durationMs",
                durationMs,
                "name",
                "peer-tone"),
            DEFAULT_TIMEOUT)
        .get("trackSid")
        .asText();
  }

  /**
   * Feeds more tone into {@code trackSid}, a track published earlier whose audio ran out (the same
   * sample rate as it was published with): the track's audio pauses and resumes on the same
   * publication.
   */
  default void feedTone(
      String trackSid, double frequency, int sampleRate, int amplitude, long durationMs) {
    call(
        "feedTone",
        Map.of(
            "trackSid",
            trackSid,
            "frequency",
            frequency,
            "sampleRate",
            sampleRate,
            "channels",
            1,
            "amplitude",
            amplitude,
            "durationMs",
            durationMs),
        DEFAULT_TIMEOUT);
  }

  /** Waits until the published file or tone of {@code trackSid} has played out. */
  default JsonNode awaitPublishDone(String trackSid, Duration timeout) {
    return awaitEvent("publishDone", e -> trackSid.equals(e.path("trackSid").asText()), timeout);
  }

  /** Stops and unpublishes every track this peer publishes. */
  default void unpublish() {
    call("unpublish", Map.of(), DEFAULT_TIMEOUT);
  }

  /** Stops and unpublishes one track. */
  default void unpublish(String trackSid) {
    call("unpublish", Map.of("trackSid", trackSid), DEFAULT_TIMEOUT);
  }

  /**
   * Records the first (or {@code identity}'s) remote audio track to {@code wav}, mono, now or once
   * subscribed.
   */
  default void record(String identity, Path wav, int sampleRate) {
    record(identity, wav, sampleRate, 1);
  }

  /**
   * Records the first (or {@code identity}'s, when not null) remote audio track to {@code wav}, now
   * or once it is subscribed (subscribing to it if the peer joined without auto-subscribe). Frames
   * are written as they arrive; if the track ends, the next matching track is recorded.
   */
  default void record(String identity, Path wav, int sampleRate, int channels) {
    ObjectNode args = PeerProcess.JSON.createObjectNode();
    if (identity != null) args.put("identity", identity);
    args.put("path", wav.toAbsolutePath().toString());
    args.put("sampleRate", sampleRate);
    args.put("channels", channels);
    call("record", args, DEFAULT_TIMEOUT);
  }

  /** Ends the recording and writes the WAV file. */
  default TestPeer.Recording stopRecording() {
    return PeerJson.recording(call("stopRecording", Map.of(), DEFAULT_TIMEOUT));
  }
}
