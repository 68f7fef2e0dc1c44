package com.mentra.bridge.audio.playback;

/** Where one track's audio goes (for the bridge: a published LiveKit track). */
public interface PcmOutput extends AutoCloseable {
  /** One 10 ms mono frame at the engine's output rate; called on the clock thread, must not block. */
  void write(short[] frame);

  @Override
  void close();
}
