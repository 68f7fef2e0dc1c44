package com.mentra.bridge.load;

import static com.mentra.bridge.load.BridgeMemory.Allocator.GLIBC;
import static com.mentra.bridge.load.BridgeMemory.Allocator.JEMALLOC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bridge's RSS split by owner, from jcmd's output (as JDK 25 prints it) and smaps. */
class BridgeMemoryTest {
  private static final String G1_JCMD =
      """
      30480:
      garbage-first heap   total reserved 524288K, committed 216064K, used 51069K [0x00000000e0000000, 0x0000000100000000)
       region size 1024K, 25 young (25600K), 3 survivors (3072K)
       Metaspace       used 47001K, committed 47616K, reserved 1114112K
      CodeHeap 'non-profiled nmethods': size=120036Kb used=4521Kb max_used=4521Kb free=115514Kb
       bounds [0x00007fc57fec7000, 0x00007fc580337000, 0x00007fc587400000]
      CodeHeap 'profiled nmethods': size=120036Kb used=13940Kb max_used=13940Kb free=106095Kb
       bounds [0x00007fc5783ff000, 0x00007fc57919f000, 0x00007fc57f938000]
      CodeHeap 'non-nmethods': size=5692Kb used=1932Kb max_used=2051Kb free=3759Kb
       bounds [0x00007fc57f938000, 0x00007fc57fba8000, 0x00007fc57fec7000]
      CodeCache: size=245764Kb, used=20393Kb, max_used=20512Kb, free=225368Kb
      <malloc version="1">
      <heap nr="0">
      <total type="fast" count="1" size="999"/>
      <total type="rest" count="1" size="999"/>
      <system type="current" size="999999"/>
      </heap>
      <total type="fast" count="2" size="1048576"/>
      <total type="rest" count="73" size="2097152"/>
      <total type="mmap" count="9" size="4194304"/>
      <system type="current" size="104857600"/>
      <system type="max" size="209715200"/>
      </malloc>
      """;

  private static final List<String> SMAPS =
      List.of(
          "e0000000-ed000000 rw-p 00000000 00:00 0 ",
          "Rss:              204800 kB",
          "ed000000-100000000 ---p 00000000 00:00 0 ",
          "Rss:                   0 kB",
          "7fc5783ff000-7fc57919f000 rwxp 00000000 00:00 0 ",
          "Rss:               10240 kB",
          "7fc57fec7000-7fc580337000 rwxp 00000000 00:00 0 ",
          "Rss:                4096 kB",
          "7fc590000000-7fc594000000 rw-p 00000000 00:00 0 ",
          "Rss:               65536 kB",
          "7fc5a0000000-7fc5a1000000 r-xp 00000000 08:01 1234    /usr/lib/libwebrtc-java.so",
          "Rss:                8192 kB",
          "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0       [stack]",
          "Rss:                 132 kB");

  @Test
  void splitsRssIntoHeapCodeMallocFilesAndTheRest() {
    BridgeMemory.Breakdown b = BridgeMemory.parse(30, G1_JCMD, SMAPS);
    assertThat(b.rssMb())
        .isCloseTo((204800 + 10240 + 4096 + 65536 + 8192 + 132) / 1024.0, within(1e-9));
    assertThat(b.javaHeapMb()).isEqualTo(200.0);
    assertThat(b.codeCacheMb()).isEqualTo(14.0);
    assertThat(b.filesMb()).isEqualTo(8.0);
    // The closing totals, not the first arena's: 100 MB of arenas, 3 MB free, 4 MB mmapped.
    assertThat(b.mallocInUseMb()).isEqualTo(101.0);
    assertThat(b.otherMb()).isCloseTo((65536 + 132) / 1024.0 - 101.0, within(1e-9));
  }

  /** A preloaded jemalloc serves every malloc: glibc's totals say nothing, "other" holds it. */
  @Test
  void withJemallocMallocInUseIsNotKnownAndCountsInOther() {
    List<String> smaps = new ArrayList<>(SMAPS);
    smaps.add(
        "7fc5b0000000-7fc5b0009000 r--p 00000000 fe:00 15630346   /usr/lib/x86_64-linux-gnu/libjemalloc.so.2");
    smaps.add("Rss:                  36 kB");
    BridgeMemory.Breakdown b = BridgeMemory.parse(30, G1_JCMD, smaps);
    assertThat(b.allocator()).isEqualTo(JEMALLOC);
    assertThat(b.mallocInUseMb()).isZero();
    assertThat(b.filesMb()).isCloseTo((8192 + 36) / 1024.0, within(1e-9));
    assertThat(b.otherMb()).isCloseTo((65536 + 132) / 1024.0, within(1e-9));
    assertThat(BridgeMemory.parse(30, G1_JCMD, SMAPS).allocator()).isEqualTo(GLIBC);
  }

  @Test
  void serialGcHeapRangeSpansItsGenerations() {
    String serial =
        G1_JCMD.replace(
            "garbage-first heap   total reserved 524288K, committed 216064K, used 51069K [0x00000000e0000000, 0x0000000100000000)",
            " def new generation   total 9792K, used 3000K [0x00000000e0000000, 0x00000000e0aa0000, 0x00000000eaaa0000)\n"
                + " tenured generation   total 21888K, used 10000K [0x00000000eaaa0000, 0x00000000ebfe0000, 0x0000000100000000)");
    assertThat(BridgeMemory.parse(30, serial, SMAPS).javaHeapMb()).isEqualTo(200.0);
  }

  /** The real thing, on this test's own JVM: jcmd attaches and every part is found. */
  @Test
  void readsARunningJvm() throws Exception {
    BridgeMemory.Breakdown b =
        BridgeMemory.read(ProcessHandle.current().pid(), BridgeMemory.jcmd(), 1);
    assertThat(b.javaHeapMb()).isPositive();
    assertThat(b.codeCacheMb()).isPositive();
    assertThat(b.mallocInUseMb()).isPositive();
    assertThat(b.filesMb()).isPositive();
    assertThat(b.javaHeapMb() + b.codeCacheMb() + b.filesMb()).isLessThan(b.rssMb());
  }

  @Test
  void outputWithoutItsPartsIsRefused() {
    assertThatThrownBy(() -> BridgeMemory.parse(30, "30480:\nAttach failed", SMAPS))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void slopesPerOwnerAfterTheWarmUp() {
    List<BridgeMemory.Breakdown> readings =
        List.of(
            new BridgeMemory.Breakdown(0, 100, 50, 10, 20, 5, GLIBC, Double.NaN),
            new BridgeMemory.Breakdown(3600, 110, 50, 12, 28, 5, GLIBC, Double.NaN),
            new BridgeMemory.Breakdown(7200, 120, 50, 14, 36, 5, GLIBC, Double.NaN));
    Map<String, Object> m = SoakVerdict.memoryTrends(readings, Duration.ofMinutes(30));
    assertThat(m.get("readings")).isEqualTo(2);
    assertThat(m.get("rss")).isEqualTo(List.of(10.0, 110.0, 120.0));
    assertThat(m.get("malloc_in_use")).isEqualTo(List.of(8.0, 28.0, 36.0));
    assertThat(m.get("code_cache")).isEqualTo(List.of(2.0, 12.0, 14.0));
    assertThat(m.get("java_heap")).isEqualTo(List.of(0.0, 50.0, 50.0));
    assertThat(m).doesNotContainKey("java_heap_live");
    assertThat(SoakVerdict.memoryTrends(readings.subList(0, 1), Duration.ZERO)).isEmpty();
  }

  @Test
  void theHeapsLiveDataBesideItsPagesWhenEveryReadingHasIt() {
    // Pages +4 MB in an hour, live data flat: regions touched for the first time, not a leak.
    List<BridgeMemory.Breakdown> readings =
        List.of(
            new BridgeMemory.Breakdown(0, 100, 50, 10, 0, 5, JEMALLOC, Double.NaN)
                .withJavaHeapLiveMb(25),
            new BridgeMemory.Breakdown(3600, 104, 54, 10, 0, 5, JEMALLOC, Double.NaN)
                .withJavaHeapLiveMb(25));
    Map<String, Object> m = SoakVerdict.memoryTrends(readings, Duration.ZERO);
    assertThat(m.get("java_heap")).isEqualTo(List.of(4.0, 50.0, 54.0));
    assertThat(m.get("java_heap_live")).isEqualTo(List.of(0.0, 25.0, 25.0));
    // "other" is RSS less its parts; the live data is not one of them.
    assertThat(m.get("other")).isEqualTo(List.of(0.0, 35.0, 35.0));
  }

  @Test
  void liveHeapIsTheSumOfThePoolsAfterTheirLastCollection() {
    String exposition =
        """
        # HELP jvm_memory_pool_collection_used_bytes Used bytes after last collection
        # TYPE jvm_memory_pool_collection_used_bytes gauge
        jvm_memory_pool_collection_used_bytes{pool="G1 Eden Space"} 0.0
        jvm_memory_pool_collection_used_bytes{pool="G1 Old Gen"} 2.4804904E7
        jvm_memory_pool_collection_used_bytes{pool="G1 Survivor Space"} 3069568.0
        jvm_memory_pool_used_bytes{pool="G1 Old Gen"} 2.70854E7
        """;
    assertThat(JavaHeapLive.parseMb(exposition))
        .isCloseTo((24_804_904 + 3_069_568) / 1048576.0, within(1e-9));
    assertThat(JavaHeapLive.parseMb("jvm_threads_current 12\n")).isNaN();
    assertThat(JavaHeapLive.readMb("http://127.0.0.1:1/metrics")).isNaN();
  }

  @Test
  void withJemallocNoMallocInUseSlope() {
    List<BridgeMemory.Breakdown> readings =
        List.of(
            new BridgeMemory.Breakdown(0, 100, 50, 10, 0, 5, JEMALLOC, Double.NaN),
            new BridgeMemory.Breakdown(3600, 110, 50, 12, 0, 5, JEMALLOC, Double.NaN));
    Map<String, Object> m = SoakVerdict.memoryTrends(readings, Duration.ZERO);
    assertThat(m).doesNotContainKey("malloc_in_use");
    assertThat(m.get("other")).isEqualTo(List.of(8.0, 35.0, 43.0));
  }
}
