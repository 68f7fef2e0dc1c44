package com.mentra.bridge.audio.fetch;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/** An HTTP response body being streamed, with the limits of its policy enforced on every read. */
public final class FetchedAudio implements Closeable {
  private final InputStream body;
  private final String contentType;
  private final String path;
  private final long contentLength;

  FetchedAudio(InputStream body, String contentType, String path, long contentLength) {
    this.body = body;
    this.contentType = contentType;
    this.path = path;
    this.contentLength = contentLength;
  }

  public InputStream body() {
    return body;
  }

  /** The Content-Type header, or null. */
  public String contentType() {
    return contentType;
  }

  /** The final URL's path (after redirects), for extension-based format detection. */
  public String path() {
    return path;
  }

  /** The Content-Length header, or -1 when the server did not send one (chunked or until close). */
  public long contentLength() {
    return contentLength;
  }

  @Override
  public void close() throws IOException {
    body.close();
  }
}
