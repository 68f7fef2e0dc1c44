package com.mentra.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The test peer's JSON (test-peer/README.md) to and from {@link TestPeer}'s records, kept apart so
 * TestPeer reads as the commands it offers. Stateless.
 */
final class PeerJson {
  private PeerJson() {}

  static TestPeer.Joined joined(JsonNode reply) {
    return new TestPeer.Joined(
        reply.path("identity").asText(),
        reply.path("sid").asText(),
        texts(reply.path("participants")));
  }

  static List<TestPeer.RemoteParticipant> remoteParticipants(JsonNode participants) {
    List<TestPeer.RemoteParticipant> out = new ArrayList<>();
    for (JsonNode p : participants) {
      List<TestPeer.RemoteTrack> tracks = new ArrayList<>();
      for (JsonNode t : p.path("tracks")) {
        tracks.add(
            new TestPeer.RemoteTrack(
                t.path("sid").asText(),
                t.path("name").asText(),
                t.path("kind").asText(),
                t.path("source").asText(),
                t.path("muted").asBoolean(),
                t.path("subscribed").asBoolean()));
      }
      out.add(
          new TestPeer.RemoteParticipant(
              p.path("identity").asText(), p.path("sid").asText(), List.copyOf(tracks)));
    }
    return List.copyOf(out);
  }

  /**
   * The arguments of {@code sendData}: the packets, their spacing and where to stamp the send time
   * (-1: nowhere).
   */
  static ObjectNode sendDataArgs(List<TestPeer.OutgoingData> packets, int intervalMs, int stampAt) {
    ArrayNode array = PeerProcess.JSON.createArrayNode();
    for (TestPeer.OutgoingData p : packets) {
      ObjectNode node = array.addObject();
      node.put("payloadB64", Base64.getEncoder().encodeToString(p.payload()));
      node.put("reliable", p.reliable());
      if (p.topic() != null) node.put("topic", p.topic());
      ArrayNode destinations = node.putArray("destinations");
      p.destinations().forEach(destinations::add);
    }
    ObjectNode args = PeerProcess.JSON.createObjectNode();
    args.set("packets", array);
    args.put("intervalMs", intervalMs);
    if (stampAt >= 0) args.put("stampAt", stampAt);
    return args;
  }

  static TestPeer.Recording recording(JsonNode r) {
    List<TestPeer.LoudRun> runs = new ArrayList<>();
    for (JsonNode run : r.path("loudRuns")) {
      runs.add(
          new TestPeer.LoudRun(
              run.path("startAtMs").asLong(),
              run.path("endAtMs").asLong(),
              run.path("startSample").asLong(),
              run.path("endSample").asLong()));
    }
    return new TestPeer.Recording(
        Path.of(r.get("path").asText()),
        r.get("samples").asLong(),
        r.get("sampleRate").asInt(),
        r.get("firstFrameAtMs").asLong(),
        r.get("firstLoudAtMs").asLong(),
        r.get("lastLoudAtMs").asLong(),
        r.path("channels").asInt(1),
        r.path("identity").asText(null),
        r.path("gapFilledMs").asLong(),
        List.copyOf(runs));
  }

  /** The data packet an event carries; null for any other event. */
  static TestPeer.ReceivedData receivedData(JsonNode e) {
    if (!"data".equals(e.path("event").asText())) return null;
    return new TestPeer.ReceivedData(
        e.path("from").asText(),
        e.path("topic").asText(),
        e.path("kind").asText(),
        Base64.getDecoder().decode(e.path("payloadB64").asText()),
        e.path("receivedAtMs").asLong());
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) out.add(n.asText());
    return List.copyOf(out);
  }
}
