package com.mentra.bridge.core;

import org.slf4j.Logger;

/**
 * Closes one part of a larger close so that its failure is logged and the remaining parts still
 * close: an owner that marks itself closed before closing its parts gets no second chance to close
 * what a throwing part skipped. Stateless.
 */
public final class Closing {
  private Closing() {}

  /**
   * Closes {@code part} (ignored when null); a failure is logged on {@code log} as {@code what}.
   */
  public static void quietly(Logger log, String what, AutoCloseable part) {
    if (part == null) return;
    try {
      part.close();
    } catch (Exception e) {
      log.warn("closing the {} failed", what, e);
    }
  }
}
