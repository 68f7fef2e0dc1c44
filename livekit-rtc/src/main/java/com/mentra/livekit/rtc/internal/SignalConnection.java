package com.mentra.livekit.rtc.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.mentra.bridge.core.Handoff;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import livekit.LivekitRtc.SignalRequest;
import livekit.LivekitRtc.SignalResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LiveKit signalling WebSocket carrying binary {@code SignalRequest}/{@code SignalResponse}
 * messages. Incoming messages and the close notice are handed to the owner's serial executor;
 * outgoing messages are sent in order through a bounded queue. Thread-safe.
 */
public final class SignalConnection {
  private static final Logger log = LoggerFactory.getLogger(SignalConnection.class);
  private static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
  private static final int MAX_PENDING_SENDS = 1024;

  /** Receives what arrives; called on the executor given to {@link #open}. */
  public interface Listener {
    void onMessage(SignalConnection connection, SignalResponse message);

    /** The connection ended (by either side or by an error); called at most once. */
    void onClosed(SignalConnection connection, String reason);
  }

  private final Executor events;
  private final Listener listener;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger pendingSends = new AtomicInteger();

  /** Completes when the server closed its side (or the socket failed). */
  private final CompletableFuture<Void> remoteClosed = new CompletableFuture<>();

  private volatile WebSocket webSocket;
  private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);

  private SignalConnection(Executor events, Listener listener) {
    // WebSocket threads hand events over and must never get an exception back; a rejected
    // onClosed would leave the room unaware that its signal died, so a full queue is retried.
    this.events = task -> Handoff.persistently(events, task, "signal event");
    this.listener = listener;
  }

  /**
   * Opens the WebSocket. The future fails with the handshake's exception (for example {@code
   * WebSocketHandshakeException} carrying the HTTP status) or a {@code TimeoutException}.
   */
  public static CompletableFuture<SignalConnection> open(
      HttpClient http, URI uri, Duration timeout, Executor events, Listener listener) {
    SignalConnection connection = new SignalConnection(events, listener);
    CompletableFuture<WebSocket> handshake =
        http.newWebSocketBuilder()
            .connectTimeout(timeout)
            .buildAsync(uri, connection.new Receiver());
    CompletableFuture<SignalConnection> result =
        handshake
            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .thenApply(
                ws -> {
                  connection.webSocket = ws;
                  return connection;
                });
    // A handshake that completes after we gave up must not leak a socket.
    result.whenComplete(
        (c, err) -> {
          if (err != null) {
            handshake.cancel(true);
            handshake.thenAccept(ws -> ws.abort());
          }
        });
    return result;
  }

  /**
   * Starts delivering incoming messages. The owner calls this once it holds the connection, so no
   * message can overtake it (for example, the join response).
   */
  public void start() {
    WebSocket ws = webSocket;
    if (ws != null) ws.request(1);
  }

  /** Queues a message; false when the connection is closed or too many sends are pending. */
  public boolean send(SignalRequest request) {
    WebSocket ws = webSocket;
    if (ws == null || closed.get()) return false;
    if (pendingSends.incrementAndGet() > MAX_PENDING_SENDS) {
      pendingSends.decrementAndGet();
      log.warn("signal send queue full, dropping {}", request.getMessageCase());
      return false;
    }
    ByteBuffer bytes = ByteBuffer.wrap(request.toByteArray());
    synchronized (this) {
      sendChain =
          sendChain
              .handle((v, e) -> null)
              .thenCompose(v -> ws.sendBinary(bytes, true))
              .whenComplete(
                  (v, e) -> {
                    pendingSends.decrementAndGet();
                    if (e != null) log.debug("signal send failed: {}", e.toString());
                  });
    }
    return true;
  }

  public boolean isOpen() {
    return webSocket != null && !closed.get();
  }

  /**
   * Closes the socket after already queued messages (such as a leave request) went out, waiting at
   * most one second for them; idempotent, notifies no listener.
   */
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    WebSocket ws = webSocket;
    if (ws == null) return;
    CompletableFuture<?> pending;
    synchronized (this) {
      pending = sendChain;
    }
    pending
        .handle((v, e) -> null)
        .orTimeout(1, TimeUnit.SECONDS)
        .handle(
            (v, e) -> {
              try {
                return ws.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(1, TimeUnit.SECONDS);
              } catch (RuntimeException ex) {
                return CompletableFuture.completedFuture(ws);
              }
            })
        .thenCompose(f -> f)
        // Aborting right away resets the socket, and a reset can discard our last message
        // (the leave) unread in the server's buffer: wait for the server's close first.
        .thenCompose(w -> remoteClosed.orTimeout(1, TimeUnit.SECONDS))
        .whenComplete((w, e) -> ws.abort());
  }

  private void notifyClosed(String reason) {
    if (closed.compareAndSet(false, true)) {
      WebSocket ws = webSocket;
      if (ws != null) ws.abort();
      events.execute(() -> listener.onClosed(this, reason));
    }
  }

  private final class Receiver implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    @Override
    public void onOpen(WebSocket ws) {
      // No request() yet: nothing is delivered before the owner calls start().
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      if (partial.size() + data.remaining() > MAX_MESSAGE_BYTES) {
        notifyClosed("signal message larger than " + MAX_MESSAGE_BYTES + " bytes");
        return null;
      }
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      partial.writeBytes(chunk);
      if (last) {
        byte[] message = partial.toByteArray();
        partial.reset();
        try {
          SignalResponse response = SignalResponse.parseFrom(message);
          if (!closed.get())
            events.execute(() -> listener.onMessage(SignalConnection.this, response));
        } catch (InvalidProtocolBufferException e) {
          log.warn("unparseable signal message ({} bytes) ignored", message.length);
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      remoteClosed.complete(null);
      notifyClosed(
          "signal connection closed by server ("
              + statusCode
              + (reason.isEmpty() ? "" : " " + reason)
              + ")");
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      remoteClosed.complete(null);
      notifyClosed("signal connection failed: " + error);
    }
  }
}
