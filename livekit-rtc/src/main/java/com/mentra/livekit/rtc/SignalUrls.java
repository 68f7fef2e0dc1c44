package com.mentra.livekit.rtc;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Builds LiveKit's signalling URLs from the URL a user gives (ws, wss, http or https). */
final class SignalUrls {
  /** The protocol revision this client speaks; the server adapts its messages to it. */
  static final int PROTOCOL_VERSION = 9;

  static final String SDK_VERSION = "0.1.0";

  private final URI base;

  private SignalUrls(URI base) {
    this.base = base;
  }

  static SignalUrls parse(String url) throws RoomConnectException {
    if (url == null || url.isBlank()) {
      throw new RoomConnectException(
          RoomConnectException.Reason.INVALID_URL, "LiveKit URL is empty");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new RoomConnectException(
          RoomConnectException.Reason.INVALID_URL,
          "malformed LiveKit URL '" + url + "': " + e.getMessage(),
          e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String wsScheme =
        switch (scheme) {
          case "ws", "http" -> "ws";
          case "wss", "https" -> "wss";
          default ->
              throw new RoomConnectException(
                  RoomConnectException.Reason.INVALID_URL,
                  "LiveKit URL '"
                      + url
                      + "' must use ws, wss, http or https, not '"
                      + (scheme.isEmpty() ? "(none)" : scheme)
                      + "'");
        };
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new RoomConnectException(
          RoomConnectException.Reason.INVALID_URL, "LiveKit URL '" + url + "' has no host");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
    try {
      return new SignalUrls(
          new URI(wsScheme, null, uri.getHost(), uri.getPort(), path, null, null));
    } catch (URISyntaxException e) {
      throw new RoomConnectException(
          RoomConnectException.Reason.INVALID_URL, "malformed LiveKit URL '" + url + "'", e);
    }
  }

  URI join(String token, boolean autoSubscribe) {
    return URI.create(base + "/rtc?" + commonQuery(token, autoSubscribe));
  }

  URI resume(String token, boolean autoSubscribe, String participantSid) {
    return URI.create(
        base
            + "/rtc?"
            + commonQuery(token, autoSubscribe)
            + "&reconnect=1&sid="
            + encode(participantSid));
  }

  /** LiveKit's HTTP endpoint that explains why a join would be refused. */
  URI validate(String token) {
    String http = base.getScheme().equals("wss") ? "https" : "http";
    return URI.create(
        http
            + base.toString().substring(base.getScheme().length())
            + "/rtc/validate?access_token="
            + encode(token));
  }

  String host() {
    return base.getHost() + (base.getPort() > 0 ? ":" + base.getPort() : "");
  }

  private static String commonQuery(String token, boolean autoSubscribe) {
    return "access_token="
        + encode(token)
        + "&auto_subscribe="
        + (autoSubscribe ? 1 : 0)
        + "&sdk=java&version="
        + SDK_VERSION
        + "&protocol="
        + PROTOCOL_VERSION
        + "&adaptive_stream=0";
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
