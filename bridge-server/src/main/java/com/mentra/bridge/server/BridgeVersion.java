package com.mentra.bridge.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The bridge's own version (the Maven project version, filtered into a resource at build time). */
final class BridgeVersion {
  static final String VALUE = load();

  private BridgeVersion() {}

  private static String load() {
    try (InputStream in = BridgeVersion.class.getResourceAsStream("bridge-version.properties")) {
      if (in == null) return "unknown";
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
