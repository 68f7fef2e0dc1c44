package com.mentra.livekit.rtc.internal;

import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * libwebrtc's session-description callbacks (an offer or answer created, a description applied) as
 * observers that hand the outcome to a {@link PeerTransport}'s executor.
 *
 * <p>Thread-safe: the observers run on libwebrtc's threads and only hand over (blocking or calling
 * back into libwebrtc there deadlocks); {@code onSuccess} and {@code onFailure} run on the
 * executor.
 */
final class DescriptionCallbacks {
  private DescriptionCallbacks() {}

  /** An offer or answer was created: {@code onSuccess} gets it, {@code onFailure} the error. */
  static CreateSessionDescriptionObserver created(
      Executor executor, Consumer<RTCSessionDescription> onSuccess, Consumer<String> onFailure) {
    return new CreateSessionDescriptionObserver() {
      @Override
      public void onSuccess(RTCSessionDescription description) {
        executor.execute(() -> onSuccess.accept(description));
      }

      @Override
      public void onFailure(String error) {
        executor.execute(() -> onFailure.accept(error));
      }
    };
  }

  /** A local or remote description was applied, or failed to be. */
  static SetSessionDescriptionObserver applied(
      Executor executor, Runnable onSuccess, Consumer<String> onFailure) {
    return new SetSessionDescriptionObserver() {
      @Override
      public void onSuccess() {
        executor.execute(onSuccess);
      }

      @Override
      public void onFailure(String error) {
        executor.execute(() -> onFailure.accept(error));
      }
    };
  }
}
