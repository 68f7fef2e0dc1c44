package com.mentra.testing;

import static com.mentra.testing.NamespaceCommands.HOW;
import static com.mentra.testing.NamespaceCommands.hostMount;
import static com.mentra.testing.NamespaceCommands.run;
import static com.mentra.testing.NamespaceCommands.runAllowingFailure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A second network namespace for one process under test (the bridge), joined to the test namespace
 * by a veth pair, with random UDP loss on its side: iptables {@code statistic} DROP rules on INPUT
 * and OUTPUT inside this namespace only. The kernel here has no {@code sch_netem} (nor {@code
 * act_gact}), so iptables is the impairment tool. A UDP datagram dropped on OUTPUT fails its {@code
 * sendto} with EPERM instead of vanishing silently on the wire; libwebrtc counts it as a failed
 * send and its protocols recover as they would from a loss.
 *
 * <p>Addressing: the namespace {@code $LKB_NETNS-loss} gets one address in the test namespace's
 * /24, {@code $LKB_LOSS_IP} (default: {@code $LKB_NODE_IP} with last octet 77), on {@value
 * #INNER_IF}. Its veth peer {@value #OUTER_IF} in the test namespace carries no address (IPv6 off
 * too), only a /32 route to it, so the test namespace keeps exactly one address and {@link
 * TestEnvironment}'s check still holds for every JVM in it; livekit-server, the peers and the test
 * JVM reach the process at {@link #address()} and it reaches them at {@code $LKB_NODE_IP}. Its only
 * ICE candidate is {@link #address()}.
 *
 * <p>The namespace is created in the mount namespace of this JVM's parent (Surefire's JVM, outside
 * the {@code ip netns exec} of the test JVM), so {@code ip netns list}, {@code ip netns pids} and
 * {@code scripts/netns.sh}-style cleanup see it from the host. {@link #create()} first removes a
 * leftover of a killed run (killing what still runs inside); {@link #close()} kills what runs
 * inside and deletes the namespace (the veth pair and route go with it). Any failing step throws
 * {@link IllegalStateException} naming the command and its output; nothing is skipped.
 *
 * <p>Not thread-safe; one owner.
 */
public final class LossyNamespace implements AutoCloseable {
  /** The veth end in the test namespace. */
  public static final String OUTER_IF = "lkbloss-a";

  /** The veth end in the lossy namespace. */
  public static final String INNER_IF = "lkbloss-b";

  private static final Pattern COUNTER = Pattern.compile(" -c (\\d+) \\d+");

  private final TestEnvironment env;
  private final String name;
  private final String address;
  private final List<List<String>> fixedRules = new ArrayList<>();
  private double probability;
  private boolean closed;

  private LossyNamespace(TestEnvironment env, String name, String address) {
    this.env = env;
    this.name = name;
    this.address = address;
  }

  /**
   * Creates {@code $LKB_NETNS-loss} (replacing a leftover) and connects it to the test namespace;
   * the loss starts at 0. Must be called from inside the test namespace, as root.
   */
  public static LossyNamespace create() {
    TestEnvironment env = TestEnvironment.get();
    String name = env.netns() + "-loss";
    LossyNamespace ns = new LossyNamespace(env, name, LossAddress.forNode(env.nodeIp()));
    removeLeftovers(name);
    try {
      ns.setUp();
    } catch (RuntimeException e) {
      try {
        ns.close();
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return ns;
  }

  /** The namespace's name ({@code $LKB_NETNS-loss}). */
  public String name() {
    return name;
  }

  /** The namespace's only non-loopback address. */
  public String address() {
    return address;
  }

  /** The loss probability now in force on both directions (0..1). */
  public double loss() {
    return probability;
  }

  /**
   * Replaces the loss: each UDP datagram entering and each leaving the namespace is dropped with
   * {@code probability} (0 removes the rules). Resets the counters of {@link #counters()}.
   */
  public void setLoss(double probability) {
    if (!(probability >= 0 && probability < 1))
      throw new IllegalArgumentException("loss probability must be in [0, 1): " + probability);
    requireOpen();
    for (String chain : List.of("INPUT", "OUTPUT")) inside("iptables", "-w", "5", "-F", chain);
    for (String chain : List.of("INPUT", "OUTPUT")) {
      // A rule without a target only counts: every UDP datagram, before the random drop.
      inside("iptables", "-w", "5", "-A", chain, "-p", "udp");
      if (probability > 0) {
        inside(
            "iptables",
            "-w",
            "5",
            "-A",
            chain,
            "-p",
            "udp",
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            String.format(Locale.ROOT, "%.4f", probability),
            "-j",
            "DROP");
      }
    }
    for (List<String> rule : fixedRules) {
      List<String> command = new ArrayList<>(List.of("iptables", "-w", "5", "-A"));
      command.addAll(rule);
      inside(command.toArray(String[]::new));
    }
    this.probability = probability;
  }

  /**
   * Drops every TCP segment this namespace sends to {@code port} from now on (e.g. livekit-server's
   * ICE/TCP port, so media takes the lossy UDP path and cannot fall back to TCP). Kept across
   * {@link #setLoss}.
   */
  public void blockTcpTo(String host, int port) {
    requireOpen();
    List<String> rule =
        List.of("OUTPUT", "-p", "tcp", "-d", host, "--dport", String.valueOf(port), "-j", "DROP");
    List<String> command = new ArrayList<>(List.of("iptables", "-w", "5", "-A"));
    command.addAll(rule);
    inside(command.toArray(String[]::new));
    fixedRules.add(rule);
  }

  /** UDP datagrams seen and dropped since the last {@link #setLoss}, per direction. */
  public record Counters(long udpIn, long droppedIn, long udpOut, long droppedOut) {
    /** Dropped / seen over both directions, 0 when nothing was seen. */
    public double dropRatio() {
      long seen = udpIn + udpOut;
      return seen == 0 ? 0 : (double) (droppedIn + droppedOut) / seen;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "UDP in %d (dropped %d, %.1f%%), out %d (dropped %d, %.1f%%)",
          udpIn,
          droppedIn,
          udpIn == 0 ? 0.0 : 100.0 * droppedIn / udpIn,
          udpOut,
          droppedOut,
          udpOut == 0 ? 0.0 : 100.0 * droppedOut / udpOut);
    }
  }

  /** The iptables counters: what the loss rules really did. */
  public Counters counters() {
    requireOpen();
    long[] in = udpCounters("INPUT");
    long[] out = udpCounters("OUTPUT");
    return new Counters(in[0], in[1], out[0], out[1]);
  }

  private long[] udpCounters(String chain) {
    long seen = -1;
    long dropped = 0;
    // "-A INPUT -p udp -c 123 4567" counts; "... -m statistic ... -c 37 1073 -j DROP" drops.
    for (String line : inside("iptables", "-w", "5", "-S", chain, "-v").lines().toList()) {
      Matcher m = COUNTER.matcher(line);
      if (!line.startsWith("-A ") || !line.contains(" -p udp") || !m.find()) continue;
      long packets = Long.parseLong(m.group(1));
      if (line.contains("statistic") && line.endsWith("-j DROP")) {
        dropped = packets;
      } else if (!line.contains(" -j ")) {
        seen = packets;
      }
    }
    if (seen < 0)
      throw new IllegalStateException(
          "no UDP counting rule in " + name + "'s " + chain + " chain (was setLoss called?)");
    return new long[] {seen, dropped};
  }

  /**
   * A process builder for {@code command} run inside the namespace ({@code ip netns exec}). Start
   * it with {@link #start(ProcessBuilder)} so a JVM exit kills it.
   */
  public ProcessBuilder processBuilder(List<String> command) {
    requireOpen();
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(command);
    return new ProcessBuilder(full);
  }

  /** Starts {@code builder}'s process; the harness kills it if the JVM exits first. */
  public Process start(ProcessBuilder builder) throws IOException {
    return ChildProcesses.track(builder.start());
  }

  /** Kills whatever still runs inside and deletes the namespace with its veth pair. Idempotent. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    removeLeftovers(name);
  }

  private void setUp() {
    hostMount("ip", "netns", "add", name);
    // The namespace was mounted in the parent's mount namespace; ours (a slave of it) must see it.
    run("ip", "netns", "exec", name, "true");
    run("ip", "link", "add", OUTER_IF, "type", "veth", "peer", "name", INNER_IF, "netns", name);
    // No IPv6 on either end: link-local addresses would be extra ICE candidates, and on the outer
    // end a second address in the test namespace, which TestEnvironment refuses.
    disableIpv6Here(OUTER_IF);
    inside(
        "sh",
        "-c",
        "f=/proc/sys/net/ipv6/conf/" + INNER_IF + "/disable_ipv6; [ ! -e $f ] || echo 1 > $f");
    run("ip", "link", "set", OUTER_IF, "up");
    run("ip", "route", "add", address + "/32", "dev", OUTER_IF, "src", env.nodeIp());
    inside("ip", "link", "set", "lo", "up");
    inside("ip", "addr", "add", address + "/24", "dev", INNER_IF);
    inside("ip", "link", "set", INNER_IF, "up");
    requireOuterEndHasNoAddress();
    setLoss(0);
  }

  private static void disableIpv6Here(String iface) {
    Path flag = Path.of("/proc/sys/net/ipv6/conf", iface, "disable_ipv6");
    if (!Files.exists(flag)) return; // no IPv6 in this kernel
    try {
      Files.writeString(flag, "1");
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot disable IPv6 on " + iface + ": " + e.getMessage() + HOW, e);
    }
  }

  private void requireOuterEndHasNoAddress() {
    String addresses = run("ip", "-o", "addr", "show", "dev", OUTER_IF);
    if (!addresses.isBlank())
      throw new IllegalStateException(OUTER_IF + " must carry no address, has: " + addresses);
  }

  /**
   * Kills every process in namespace {@code name}, deletes it and the outer veth end if present.
   */
  private static void removeLeftovers(String name) {
    boolean exists =
        run("ip", "netns", "list").lines().map(l -> l.split("\\s+")[0]).anyMatch(name::equals);
    if (exists) {
      for (int attempt = 0; attempt < 50; attempt++) {
        String pids = runAllowingFailure("ip", "netns", "pids", name).strip();
        if (pids.isEmpty()) break;
        for (String pid : pids.split("\\s+"))
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        sleep(100);
      }
      String left = runAllowingFailure("ip", "netns", "pids", name).strip();
      if (!left.isEmpty())
        throw new IllegalStateException(
            "processes " + left + " in namespace " + name + " survived SIGKILL for 5 s");
      hostMount("ip", "netns", "del", name);
    }
    // The outer end goes with the namespace, asynchronously (the kernel frees a namespace in the
    // background); delete it if it stays, and wait until its name is free again.
    Path outer = Path.of("/sys/class/net", OUTER_IF);
    for (int attempt = 0; attempt < 100 && Files.exists(outer); attempt++) {
      if (attempt == 20) runAllowingFailure("ip", "link", "del", OUTER_IF);
      sleep(50);
    }
    if (Files.exists(outer))
      throw new IllegalStateException(
          OUTER_IF + " still exists 5 s after namespace " + name + " was deleted");
  }

  private String inside(String... command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(List.of(command));
    return run(full.toArray(String[]::new));
  }

  private void requireOpen() {
    if (closed) throw new IllegalStateException("namespace " + name + " is closed");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
