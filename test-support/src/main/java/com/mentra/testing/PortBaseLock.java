package com.mentra.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A claim on a {@link LiveKitServerProcess}'s port base: a lock on the file {@code
 * <tmp>/livekit-bridge-test-ports/<base>.lock}, so servers in other test JVMs never pick the same
 * ports, held until {@link #close}. Thread-safety: a claim is made and released by the server's
 * synchronized lifecycle.
 */
final class PortBaseLock implements AutoCloseable {
  /**
   * Automatically chosen bases are this far apart: more than {@link
   * LiveKitServerProcess#PORTS_PER_SERVER}.
   */
  private static final int SLOT = 128;

  /**
   * Automatic bases lie below the kernel's ephemeral range, so no client socket takes a port while
   * a server is down.
   */
  private static final int AUTO_MIN = 10_240;

  private static final int AUTO_MAX = 32_640; // last base + SLOT stays below 32768

  private final FileChannel channel;
  private final FileLock lock;

  /** Claims {@code base}; throws {@link IllegalStateException} when another server holds it. */
  PortBaseLock(int base) {
    channel = open(base);
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException held) {
      closeQuietly(channel);
      throw heldBy(base);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new IllegalStateException("cannot lock the port lock file", e);
    }
    if (lock == null) {
      closeQuietly(channel);
      throw heldBy(base);
    }
  }

  private static IllegalStateException heldBy(int base) {
    return new IllegalStateException(
        "port base " + base + " is held by another LiveKitServerProcess");
  }

  /** A random automatic base (see the constants). */
  static int randomBase() {
    int slots = (AUTO_MAX - AUTO_MIN) / SLOT;
    return AUTO_MIN + ThreadLocalRandom.current().nextInt(slots) * SLOT;
  }

  /**
   * Whether the base's HTTP and TCP ports are free now (a claim can still lose a race for them).
   */
  static boolean looksFree(int base) {
    return tcpFree(base) && tcpFree(base + 1);
  }

  private static FileChannel open(int base) {
    try {
      Path dir = Path.of(System.getProperty("java.io.tmpdir"), "livekit-bridge-test-ports");
      Files.createDirectories(dir);
      return FileChannel.open(
          dir.resolve(base + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open the port lock file for base " + base, e);
    }
  }

  private static boolean tcpFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(TestEnvironment.get().nodeIp()), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Releases the claim. */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // Released with the channel anyway.
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing to do.
    }
  }
}
