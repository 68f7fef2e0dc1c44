package com.mentra.livekit.rtc.internal;

import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.internal.NativeObject;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops the libwebrtc references that webrtc-java 0.14 takes for us and never drops itself.
 *
 * <ul>
 *   <li><b>Peer connections:</b> {@code RTCPeerConnection.close()} calls libwebrtc's {@code
 *       Close()} and then forgets its handle without {@code Release()}, so every closed peer
 *       connection stayed in memory with its transceivers, descriptions and certificate, and kept a
 *       reference on every track it ever sent (the "audio track still referenced" warnings). On
 *       this machine ~70 KB per peer connection, two per join: the ~155 KB per join/leave cycle
 *       issue 12 measured. Read the handle with {@link #handleOf} before {@code close()} (which
 *       clears it) and {@link #release} it after.
 *   <li><b>Transceivers</b> from {@code addTransceiver} (and senders from {@code addTrack}): the
 *       wrapper is handed out holding a reference ({@code JavaFactories::create(env,
 *       transceiver.release())}) and has no {@code dispose()}, so every track ever published stayed
 *       in memory with its sender and receiver, after the peer connection let go of it too: ~4 KB
 *       per publish, for good (more with the offers and answers webrtc-natives now frees). {@link
 *       #releaseAndForget} drops it once the wrapper is no longer needed. Wrappers from getters
 *       ({@code getSender()}, {@code getTransceivers()}, track events) hold no reference and must
 *       never be passed here.
 * </ul>
 *
 * <p>How, without such a call in webrtc-java: each of its {@code dispose()} natives is "{@code
 * Release()} the handle through its interface". libwebrtc's interfaces all derive from {@code
 * RefCountInterface} alone, so {@code Release()} sits in the same vtable slot of every one of them
 * (Itanium C++ ABI), and {@link RTCDataChannel#dispose()} called on an object carrying another
 * interface's handle releases that object. Verified by NativeReferencesTest (300 peer connections,
 * 300 publishes) and RepublishTest (350 publishes against livekit-server), and by every test that
 * leaves a room; should a later webrtc-java change the fields this relies on, the release is
 * skipped (and logged once), which is the old leak and no crash.
 *
 * <p>Call on the owner's executor, never on a libwebrtc thread: dropping the last reference of a
 * peer connection or transceiver destroys it on libwebrtc's signalling thread and blocks for that.
 * Stateless and thread-safe.
 */
final class NativeReferences {
  private static final Logger log = LoggerFactory.getLogger(NativeReferences.class);
  private static final Field HANDLE;
  private static final Constructor<RTCDataChannel> ALIAS;

  static {
    Field handle = null;
    Constructor<RTCDataChannel> alias = null;
    try {
      handle = NativeObject.class.getDeclaredField("nativeHandle");
      handle.setAccessible(true);
      alias = RTCDataChannel.class.getDeclaredConstructor();
      alias.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn(
          "webrtc-java's leaked references will not be released (webrtc-java changed?): {}",
          e.toString());
      handle = null;
      alias = null;
    }
    HANDLE = handle;
    ALIAS = alias;
  }

  private NativeReferences() {}

  /** The native handle of {@code object}, 0 when it has none or it cannot be read. */
  static long handleOf(NativeObject object) {
    if (HANDLE == null) return 0;
    try {
      return HANDLE.getLong(object);
    } catch (IllegalAccessException e) {
      return 0;
    }
  }

  /**
   * Drops the reference {@code object} holds and clears its handle, so that a later call on it
   * throws in webrtc-java ("object disposed") instead of touching freed memory. Only for wrappers
   * handed out with a reference (see the class comment); call once. No-op when already cleared.
   */
  static void releaseAndForget(NativeObject object) {
    long handle = handleOf(object);
    if (handle == 0) return;
    try {
      HANDLE.setLong(object, 0);
    } catch (IllegalAccessException e) {
      return; // cannot clear it: keep the reference rather than leave a dangling handle
    }
    release(handle);
  }

  /**
   * Drops the reference {@code handle} owned; call once, and only after nothing uses it any more.
   * No-op for 0.
   */
  static void release(long handle) {
    if (handle == 0 || ALIAS == null) return;
    try {
      RTCDataChannel alias = ALIAS.newInstance();
      HANDLE.setLong(alias, handle);
      alias.dispose();
    } catch (ReflectiveOperationException e) {
      log.warn("releasing a native reference failed: {}", e.toString());
    } catch (Error e) {
      // Released; libwebrtc still holds the object (a live transceiver, a pending stats request):
      // it goes when libwebrtc lets go of it.
      log.trace("native object still referenced after release: {}", e.getMessage());
    }
  }
}
