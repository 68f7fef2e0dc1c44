package com.mentra.bridge.audio.fetch;

import com.mentra.bridge.audio.fetch.FetchException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fetches audio over HTTP(S) as a stream: the body can be read as soon as the headers arrive.
 * Only http and https; redirects are followed here, up to the policy's limit, so every hop's
 * host is checked; hosts that resolve to loopback, private, link-local, metadata and other
 * non-public addresses are refused unless the policy allows them. The body enforces the size
 * limit and a per-read timeout (an endless slow server fails). Thread-safe; share one instance.
 */
public final class AudioFetcher {
  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "audio-fetch-watchdog");
    t.setDaemon(true);
    return t;
  });

  private final FetchPolicy policy;
  private final HttpClient http;

  public AudioFetcher(FetchPolicy policy) {
    this.policy = policy;
    this.http = HttpClient.newBuilder()
        .connectTimeout(policy.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  public FetchPolicy policy() {
    return policy;
  }

  public FetchedAudio open(URI uri) throws FetchException {
    URI current = uri;
    for (int hop = 0; ; hop++) {
      check(current);
      HttpResponse<InputStream> response = send(current);
      int status = response.statusCode();
      if (status >= 300 && status < 400 && status != 304) {
        closeQuietly(response.body());
        String location = response.headers().firstValue("location").orElse(null);
        if (location == null) throw new FetchException(Kind.HTTP_STATUS, "HTTP " + status + " without a Location from " + current, status, null);
        if (hop >= policy.maxRedirects()) {
          throw new FetchException(Kind.REDIRECT_LIMIT, "more than " + policy.maxRedirects() + " redirects fetching " + uri);
        }
        current = current.resolve(location);
        continue;
      }
      if (status != 200) {
        closeQuietly(response.body());
        throw new FetchException(Kind.HTTP_STATUS, "HTTP " + status + " from " + current, status, null);
      }
      long length = response.headers().firstValueAsLong("content-length").orElse(-1);
      if (length > policy.maxBytes()) {
        closeQuietly(response.body());
        throw new FetchException(Kind.TOO_LARGE, "audio of " + length + " bytes exceeds the " + policy.maxBytes() + "-byte limit: " + current);
      }
      String type = response.headers().firstValue("content-type").orElse(null);
      return new FetchedAudio(new GuardedBody(response.body(), current), type, current.getPath(), Math.max(-1, length));
    }
  }

  private void check(URI uri) throws FetchException {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new FetchException(Kind.UNSUPPORTED_SCHEME, "only http and https audio URLs are allowed, not '" + (scheme.isEmpty() ? uri : scheme + ":") + "'");
    }
    if (uri.getHost() == null) throw new FetchException(Kind.IO, "audio URL has no host: " + uri);
    if (policy.allowPrivateAddresses()) return;
    try {
      for (InetAddress address : InetAddress.getAllByName(uri.getHost())) {
        String refusal = AddressGuard.refusal(address);
        if (refusal != null) {
          throw new FetchException(Kind.REFUSED_ADDRESS, "refusing to fetch " + uri + ": " + uri.getHost() + " resolves to a "
              + refusal + " address (" + address.getHostAddress() + ")");
        }
      }
    } catch (UnknownHostException e) {
      throw new FetchException(Kind.IO, "unknown host in audio URL: " + uri.getHost(), 0, e);
    }
  }

  private HttpResponse<InputStream> send(URI uri) throws FetchException {
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(policy.readTimeout())
        .header("accept", "audio/*, */*;q=0.5")
        .GET()
        .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new FetchException(Kind.TIMEOUT, "timed out waiting for " + uri, 0, e);
    } catch (IOException e) {
      throw new FetchException(Kind.IO, "fetching " + uri + " failed: " + e.getMessage(), 0, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FetchException(Kind.IO, "interrupted fetching " + uri, 0, e);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // Nothing to do.
    }
  }

  /** The body with the size limit and a per-read timeout. */
  private final class GuardedBody extends InputStream {
    private final InputStream in;
    private final URI uri;
    private long total;
    private volatile boolean timedOut;

    GuardedBody(InputStream in, URI uri) {
      this.in = in;
      this.uri = uri;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
        timedOut = true;
        closeQuietly(in);
      }, policy.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
      int n;
      try {
        n = in.read(b, off, len);
      } catch (IOException e) {
        if (timedOut) throw new FetchException(Kind.TIMEOUT, "no audio bytes from " + uri + " for " + policy.readTimeout().toMillis() + " ms", 0, e);
        throw new FetchException(Kind.IO, "reading " + uri + " failed: " + e.getMessage(), 0, e);
      } finally {
        watchdog.cancel(false);
      }
      if (n < 0 && timedOut) throw new FetchException(Kind.TIMEOUT, "no audio bytes from " + uri + " for " + policy.readTimeout().toMillis() + " ms");
      if (n > 0) {
        total += n;
        if (total > policy.maxBytes()) {
          closeQuietly(in);
          throw new FetchException(Kind.TOO_LARGE, "audio from " + uri + " exceeds the " + policy.maxBytes() + "-byte limit");
        }
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
