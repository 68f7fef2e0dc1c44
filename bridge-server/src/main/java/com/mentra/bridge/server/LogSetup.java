package com.mentra.bridge.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.logtail.logback.LogtailAppender;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/**
 * Logging as the environment asks, on top of logback.xml's text console: LOG_FORMAT=json writes one
 * JSON object per line with the field names the replaced service's operators search on ({@code
 * userId}, {@code requestId}, {@code trackId}, {@code trackName}, {@code roomName}, {@code
 * feature}, {@code env}, {@code server}, {@code region}, {@code service}); with
 * BETTERSTACK_SOURCE_TOKEN and BETTERSTACK_INGESTING_HOST set, lines are also shipped to Better
 * Stack in batches by its own appender.
 */
final class LogSetup {
  /** MDC keys the code uses, and the names operators search on. */
  static final Map<String, String> FIELD_NAMES =
      Map.of(
          "user_id",
          "userId",
          "request_id",
          "requestId",
          "room",
          "roomName",
          "track_id",
          "trackId",
          "track_name",
          "trackName");

  private static Appender<ILoggingEvent> detachedText;

  private LogSetup() {}

  /** Back to logback.xml's text console (tests that configured JSON or shipping). */
  static synchronized void restoreDefaults() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    for (String name : new String[] {"JSON", "BETTERSTACK"}) {
      Appender<ILoggingEvent> a = root.getAppender(name);
      if (a != null) {
        a.stop();
        root.detachAppender(a);
      }
    }
    if (detachedText != null) {
      root.addAppender(detachedText);
      detachedText = null;
    }
  }

  /** Applies LOG_LEVEL, LOG_FORMAT and Better Stack shipping from {@code env}. */
  static void configure(Map<String, String> env, String level) {
    configure(env, level, System.out);
  }

  static synchronized void configure(Map<String, String> env, String level, OutputStream console) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level));
    String format =
        env.getOrDefault("LOG_FORMAT", "text").trim().toLowerCase(java.util.Locale.ROOT);
    if (!format.equals("text") && !format.equals("json") && !format.isEmpty()) {
      throw new BridgeConfig.ConfigException(
          "LOG_FORMAT must be text or json, got '" + format + "'");
    }
    Map<String, String> staticFields = staticFields(env);
    if (format.equals("json")) {
      OutputStreamAppender<ILoggingEvent> json =
          console == System.out ? new ConsoleAppender<>() : new OutputStreamAppender<>();
      json.setContext(context);
      json.setName("JSON");
      json.setEncoder(jsonEncoder(context, staticFields));
      if (console != System.out) json.setOutputStream(console);
      json.start();
      Appender<ILoggingEvent> text = root.getAppender("OUT");
      if (text != null) {
        detachedText = text;
        root.detachAppender(text);
      }
      root.addAppender(json);
    }
    String token = env.getOrDefault("BETTERSTACK_SOURCE_TOKEN", "").trim();
    String host = env.getOrDefault("BETTERSTACK_INGESTING_HOST", "").trim();
    if (!token.isEmpty() && !host.isEmpty()) {
      LogtailAppender betterStack = new LogtailAppender();
      betterStack.setContext(context);
      betterStack.setName("BETTERSTACK");
      betterStack.setAppName("livekit-bridge");
      // A host, as upstream configured it; a full URL (tests, proxies) is taken as is.
      betterStack.setIngestUrl(host.contains("://") ? host : "https://" + host);
      betterStack.setSourceToken(token);
      // The appender pairs each MDC field with a type, position by position.
      betterStack.setMdcFields(String.join(",", FIELD_NAMES.keySet()));
      betterStack.setMdcTypes(
          String.join(",", java.util.Collections.nCopies(FIELD_NAMES.size(), "string")));
      betterStack.setBatchSize(Integer.parseInt(env.getOrDefault("BETTERSTACK_BATCH_SIZE", "100")));
      betterStack.setBatchInterval(
          Integer.parseInt(env.getOrDefault("BETTERSTACK_BATCH_INTERVAL_MS", "3000")));
      betterStack.start();
      root.addAppender(betterStack);
    } else if (!token.isEmpty() || !host.isEmpty()) {
      throw new BridgeConfig.ConfigException(
          "BETTERSTACK_SOURCE_TOKEN and BETTERSTACK_INGESTING_HOST must be set together");
    }
  }

  static LogstashEncoder jsonEncoder(LoggerContext context, Map<String, String> staticFields) {
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(context);
    FIELD_NAMES.forEach((key, name) -> encoder.addMdcKeyFieldName(key + "=" + name));
    try {
      encoder.setCustomFields(new ObjectMapper().writeValueAsString(staticFields));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    encoder.start();
    return encoder;
  }

  private static Map<String, String> staticFields(Map<String, String> env) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("service", "livekit-bridge");
    fields.put("feature", "livekit-grpc");
    fields.put("env", env.getOrDefault("NODE_ENV", env.getOrDefault("ENV", "")));
    fields.put("server", env.getOrDefault("SERVER_NAME", ""));
    fields.put("region", env.getOrDefault("REGION", ""));
    return fields;
  }

  /** Stops the Better Stack appender so queued lines are sent (shutdown). */
  static void flush() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Appender<ILoggingEvent> shipping =
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("BETTERSTACK");
    if (shipping != null) shipping.stop();
  }
}
