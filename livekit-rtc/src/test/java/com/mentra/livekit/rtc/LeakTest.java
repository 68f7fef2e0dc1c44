package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.Poll;
import com.mentra.testing.ProcessMemory;
import java.io.File;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LeakTest {
  private static long openFileDescriptors() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }

  @Test
  void fiftyJoinLeaveCyclesReturnThreadsAndDescriptorsToBaseline() throws Exception {
    try (LiveKitServerProcess server = LiveKitServerProcess.start()) {
      // One warm-up cycle: the shared runtime's threads belong to the baseline.
      cycle(server, 0);
      Thread.sleep(500);
      int threads = Thread.activeCount();
      long fds = openFileDescriptors();
      long rss = ProcessMemory.rssKb();
      for (int i = 1; i <= 50; i++) cycle(server, i);
      Poll.until(
          () -> Thread.activeCount() <= threads + 5 && openFileDescriptors() <= fds + 5,
          Duration.ofSeconds(15),
          "threads/fds back to baseline "
              + threads
              + "/"
              + fds
              + " (now "
              + Thread.activeCount()
              + "/"
              + openFileDescriptors()
              + ")");
      System.out.printf(
          "50 cycles: threads %d -> %d, fds %d -> %d, RSS %d MB -> %d MB%n",
          threads,
          Thread.activeCount(),
          fds,
          openFileDescriptors(),
          rss / 1024,
          ProcessMemory.rssKb() / 1024);
      assertThat(server.participantIdentities("leak")).isEmpty();
    }
  }

  private static void cycle(LiveKitServerProcess server, int i) throws Exception {
    try (Room room =
        Room.connect(
            server.wsUrl(), server.token("leak", "java-bot-" + i), RoomOptions.defaults(), null)) {
      LocalAudioTrack track = room.publishAudio(LocalAudioTrackOptions.microphone("mic"));
      track.pushFrame(new short[160], 16000, 1);
      room.sendData(new byte[] {1, 2, 3}, DataSendOptions.reliable()).get(5, TimeUnit.SECONDS);
      room.receiveAudio("nobody", 16000, 1, f -> {});
    }
  }
}
