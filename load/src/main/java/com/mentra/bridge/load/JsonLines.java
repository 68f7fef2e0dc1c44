package com.mentra.bridge.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * load.jsonl: one JSON object a line, each with its {@code type} (config, phase, sample, summary)
 * and {@code time}, flushed at once so a run that dies still leaves its figures so far.
 * Thread-safe: lines are written whole, one at a time.
 */
final class JsonLines implements AutoCloseable {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  private final BufferedWriter out;

  JsonLines(Path file) throws IOException {
    this.out = Files.newBufferedWriter(file);
  }

  synchronized void write(String type, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("time", Instant.now().toString());
    m.putAll(fields);
    try {
      out.write(JSON.writeValueAsString(sanitize(m)));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** NaN and infinities are not JSON: null instead. */
  static Object sanitize(Object v) {
    if (v instanceof Double d && !Double.isFinite(d)) return null;
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, x) -> out.put(String.valueOf(k), sanitize(x)));
      return out;
    }
    if (v instanceof List<?> list) return list.stream().map(JsonLines::sanitize).toList();
    return v;
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
