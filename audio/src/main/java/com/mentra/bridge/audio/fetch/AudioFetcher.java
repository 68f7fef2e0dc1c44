package com.mentra.bridge.audio.fetch;

import com.mentra.bridge.audio.fetch.FetchException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Fetches audio over HTTP(S) as a stream: the body can be read as soon as the headers arrive. Only
 * http and https; redirects are followed here, up to the policy's limit, so every hop is checked;
 * hosts that resolve to loopback, private, link-local, metadata and other non-public addresses are
 * refused unless the policy allows them, and the connection goes to the very addresses that were
 * checked ({@link VettedDns}). The body enforces the size limit and a per-read timeout (an endless
 * slow server fails). A {@link FetchCall} can be cancelled from any thread, also while it waits for
 * headers. Thread-safe; share one instance.
 */
public final class AudioFetcher {
  private final FetchPolicy policy;
  private final OkHttpClient http;

  public AudioFetcher(FetchPolicy policy) {
    this(policy, Dns.SYSTEM);
  }

  /** With another resolver (tests use one that answers like a rebinding DNS server). */
  AudioFetcher(FetchPolicy policy, Dns resolver) {
    this.policy = policy;
    this.http =
        new OkHttpClient.Builder()
            .dns(policy.allowPrivateAddresses() ? resolver : new VettedDns(resolver))
            .connectTimeout(policy.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .readTimeout(policy.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .writeTimeout(policy.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .followRedirects(false)
            .followSslRedirects(false)
            // A pooled keep-alive connection the server closed while idle must be retried on a new
            // one
            // (safe: every request here is a GET), or a playback fails with "unexpected end of
            // stream".
            .retryOnConnectionFailure(true)
            .build();
  }

  public FetchPolicy policy() {
    return policy;
  }

  /** Fetches {@code uri}; blocks until the headers are in. */
  public FetchedAudio open(URI uri) throws FetchException {
    return newCall(uri).execute();
  }

  /** A fetch that can be started on one thread and cancelled from another. */
  public FetchCall newCall(URI uri) {
    return new FetchCall(uri);
  }

  /** One fetch, following redirects. {@link #cancel()} is idempotent and safe from any thread. */
  public final class FetchCall {
    private final URI uri;
    private volatile Call current;
    private volatile boolean cancelled;

    private FetchCall(URI uri) {
      this.uri = uri;
    }

    /** Ends the fetch: a blocked {@link #execute()} throws, an open body stops. */
    public void cancel() {
      cancelled = true;
      Call c = current;
      if (c != null) c.cancel();
    }

    public FetchedAudio execute() throws FetchException {
      HttpUrl url = checked(uri);
      for (int hop = 0; ; hop++) {
        Response response = send(url);
        int status = response.code();
        if (status >= 300 && status < 400 && status != 304) {
          response.close();
          String location = response.header("location");
          if (location == null)
            throw new FetchException(
                Kind.HTTP_STATUS,
                "HTTP " + status + " without a Location from " + url,
                status,
                null);
          if (hop >= policy.maxRedirects()) {
            throw new FetchException(
                Kind.REDIRECT_LIMIT,
                "more than " + policy.maxRedirects() + " redirects fetching " + uri);
          }
          HttpUrl next = url.resolve(location);
          if (next == null)
            throw new FetchException(
                Kind.IO, "bad redirect Location '" + location + "' from " + url);
          url = checked(next.uri());
          continue;
        }
        if (status != 200) {
          response.close();
          throw new FetchException(
              Kind.HTTP_STATUS, "HTTP " + status + " from " + url, status, null);
        }
        ResponseBody body = response.body();
        long length = body.contentLength();
        if (length > policy.maxBytes()) {
          response.close();
          throw new FetchException(
              Kind.TOO_LARGE,
              "audio of "
                  + length
                  + " bytes exceeds the "
                  + policy.maxBytes()
                  + "-byte limit: "
                  + url);
        }
        return new FetchedAudio(
            new GuardedBody(body.byteStream(), response, url.toString()),
            response.header("content-type"),
            url.encodedPath(),
            Math.max(-1, length));
      }
    }

    private Response send(HttpUrl url) throws FetchException {
      if (cancelled) throw new FetchException(Kind.IO, "fetch of " + uri + " cancelled");
      Call call =
          http.newCall(
              new Request.Builder().url(url).header("accept", "audio/*, */*;q=0.5").get().build());
      current = call;
      if (cancelled) call.cancel();
      try {
        return call.execute();
      } catch (VettedDns.RefusedAddressException e) {
        throw new FetchException(
            Kind.REFUSED_ADDRESS, "refusing to fetch " + url + ": " + e.getMessage(), 0, e);
      } catch (java.net.UnknownHostException e) {
        throw new FetchException(Kind.IO, "unknown host in audio URL: " + url.host(), 0, e);
      } catch (InterruptedIOException e) {
        if (cancelled) throw new FetchException(Kind.IO, "fetch of " + uri + " cancelled", 0, e);
        throw new FetchException(Kind.TIMEOUT, "timed out waiting for " + url, 0, e);
      } catch (IOException e) {
        if (cancelled) throw new FetchException(Kind.IO, "fetch of " + uri + " cancelled", 0, e);
        throw new FetchException(Kind.IO, "fetching " + url + " failed: " + e.getMessage(), 0, e);
      }
    }
  }

  /**
   * The URL, if its scheme is allowed and (an IP literal, which OkHttp never resolves) its address
   * is.
   */
  private HttpUrl checked(URI uri) throws FetchException {
    HttpUrl url = check(uri);
    if (!policy.allowPrivateAddresses() && isIpLiteral(url.host())) {
      try {
        new VettedDns(Dns.SYSTEM).lookup(url.host());
      } catch (VettedDns.RefusedAddressException e) {
        throw new FetchException(
            Kind.REFUSED_ADDRESS, "refusing to fetch " + url + ": " + e.getMessage(), 0, e);
      } catch (java.net.UnknownHostException e) {
        throw new FetchException(Kind.IO, "bad address in audio URL: " + url.host(), 0, e);
      }
    }
    return url;
  }

  private static boolean isIpLiteral(String host) {
    return host.indexOf(':') >= 0 || host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  }

  private static HttpUrl check(URI uri) throws FetchException {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new FetchException(
          Kind.UNSUPPORTED_SCHEME,
          "only http and https audio URLs are allowed, not '"
              + (scheme.isEmpty() ? uri : scheme + ":")
              + "'");
    }
    if (uri.getHost() == null) throw new FetchException(Kind.IO, "audio URL has no host: " + uri);
    HttpUrl url = HttpUrl.parse(uri.toString());
    if (url == null) throw new FetchException(Kind.IO, "malformed audio URL: " + uri);
    return url;
  }

  /** The body with the size limit; OkHttp's read timeout bounds each read. */
  private final class GuardedBody extends InputStream {
    private final InputStream in;
    private final Response response;
    private final String url;
    private long total;

    GuardedBody(InputStream in, Response response, String url) {
      this.in = in;
      this.response = response;
      this.url = url;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      // okio blocks to fill its buffer even for a zero-length read, and InputStream.readNBytes
      // ends with one: answer it here, as the JDK's streams do.
      if (len == 0) return 0;
      int n;
      try {
        n = in.read(b, off, len);
      } catch (java.net.SocketTimeoutException e) {
        throw new FetchException(
            Kind.TIMEOUT,
            "no audio bytes from " + url + " for " + policy.readTimeout().toMillis() + " ms",
            0,
            e);
      } catch (IOException e) {
        throw new FetchException(Kind.IO, "reading " + url + " failed: " + e.getMessage(), 0, e);
      }
      if (n > 0) {
        total += n;
        if (total > policy.maxBytes()) {
          response.close();
          throw new FetchException(
              Kind.TOO_LARGE,
              "audio from " + url + " exceeds the " + policy.maxBytes() + "-byte limit");
        }
      }
      return n;
    }

    @Override
    public void close() {
      response.close();
    }
  }
}
