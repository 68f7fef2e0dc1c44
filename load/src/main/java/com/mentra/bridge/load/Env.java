package com.mentra.bridge.load;

/** The environment variables scripts/load.sh hands the tool. Stateless. */
final class Env {
  private Env() {}

  /**
   * The variable's value, else {@code fallback}; a missing variable without a fallback is an error.
   */
  static String get(String name, String fallback) {
    String v = System.getenv(name);
    if (v != null && !v.isBlank()) return v;
    if (fallback == null)
      throw new IllegalStateException(name + " is not set (scripts/load.sh sets it)");
    return fallback;
  }
}
