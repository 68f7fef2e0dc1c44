package com.mentra.bridge.audio.playback;

/** Where one track's audio goes (for the bridge: a published LiveKit track). */
public interface PcmOutput extends AutoCloseable {
  /**
   * One 10 ms mono frame at the engine's output rate; called on the clock thread every 10 ms while
   * the output is open (silence between sounds), must not block.
   */
  void write(short[] frame);

  /**
   * Whether a listener is attached yet: a fresh output's first sound waits (sending silence) until
   * it is, for a bounded time, so listeners hear it from its start at its level.
   */
  default boolean listening() {
    return true;
  }

  @Override
  void close();
}
