package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.RoomConnectException.Reason;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocketHandshakeException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Turns what went wrong while opening the signal connection into a {@link RoomConnectException}.
 */
final class ConnectFailures {
  private ConnectFailures() {}

  /**
   * As {@link #classify} but without asking LiveKit's validate endpoint why it refused: for the
   * room's executor (reconnect attempts), which must never block on HTTP.
   */
  static RoomConnectException classifyWithoutAsking(Throwable error, SignalUrls urls) {
    return classify(error, urls, null, null);
  }

  /**
   * @param http with {@code token}, asks LiveKit why it refused (blocks up to 1 s); null: don't ask
   */
  static RoomConnectException classify(
      Throwable error, SignalUrls urls, String token, HttpClient http) {
    Throwable cause = unwrap(error);
    String where = urls.host();
    if (cause instanceof RoomConnectException rce) return rce;
    if (cause instanceof WebSocketHandshakeException hs) {
      int status = hs.getResponse().statusCode();
      String detail = http == null ? "" : explainRefusal(urls, token, http);
      if (status == 401 || status == 403) {
        return new RoomConnectException(
            Reason.UNAUTHORIZED,
            "LiveKit at "
                + where
                + " refused the token (HTTP "
                + status
                + ")"
                + (detail.isEmpty() ? "" : ": " + detail),
            cause);
      }
      return new RoomConnectException(
          Reason.PROTOCOL,
          "LiveKit at "
              + where
              + " refused the connection (HTTP "
              + status
              + ")"
              + (detail.isEmpty() ? "" : ": " + detail),
          cause);
    }
    if (cause instanceof TimeoutException || cause instanceof HttpTimeoutException) {
      return new RoomConnectException(
          Reason.TIMEOUT, "no answer from LiveKit at " + where + " in time", cause);
    }
    if (cause instanceof ConnectException || cause instanceof NoRouteToHostException) {
      return new RoomConnectException(
          Reason.UNREACHABLE, "cannot reach LiveKit at " + where + ": " + describe(cause), cause);
    }
    if (cause instanceof UnknownHostException || cause instanceof UnresolvedAddressException) {
      return new RoomConnectException(
          Reason.UNREACHABLE, "unknown host in LiveKit URL: " + where, cause);
    }
    if (cause instanceof IOException) {
      return new RoomConnectException(
          Reason.PROTOCOL,
          "LiveKit at " + where + " closed the connection during the handshake: " + describe(cause),
          cause);
    }
    return new RoomConnectException(
        Reason.PROTOCOL,
        "connecting to LiveKit at " + where + " failed: " + describe(cause),
        cause);
  }

  /** Asks LiveKit's validate endpoint why it refused; "" when it cannot say within a second. */
  private static String explainRefusal(SignalUrls urls, String token, HttpClient http) {
    try {
      URI uri = urls.validate(token);
      HttpRequest request =
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).GET().build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      // LiveKit echoes the token in its explanation; never put a credential into an error message.
      String body =
          response.body() == null ? "" : response.body().strip().replace(token, "<token>");
      return body.length() > 300 ? body.substring(0, 300) : body;
    } catch (IOException | RuntimeException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
  }
}
