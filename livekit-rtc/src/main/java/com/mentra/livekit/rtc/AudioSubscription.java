package com.mentra.livekit.rtc;

/**
 * A standing request for one participant's audio, returned by {@link Room#receiveAudio}. It
 * attaches to the participant's audio track whenever one is subscribed (also after a reconnect) and
 * delivers 10 ms frames at the requested format. Close to stop; idempotent.
 */
public interface AudioSubscription extends AutoCloseable {
  String participantIdentity();

  /** Frames dropped because the listener fell behind. */
  long droppedFrames();

  /** Frames delivered to the listener. */
  long deliveredFrames();

  @Override
  void close();
}
