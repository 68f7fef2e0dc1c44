package com.mentra.bridge.audio.fetch;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Which resolved addresses an audio URL may point at when private addresses are not allowed. */
final class AddressGuard {
  private AddressGuard() {}

  /** A reason the address is off-limits, or null when it is public. */
  static String refusal(InetAddress a) {
    if (a.isLoopbackAddress()) return "loopback";
    if (a.isAnyLocalAddress()) return "unspecified";
    if (a.isLinkLocalAddress()) return "link-local (cloud metadata lives there)";
    if (a.isSiteLocalAddress()) return "private";
    if (a.isMulticastAddress()) return "multicast";
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      if (first == 100 && second >= 64 && second <= 127) return "carrier-grade NAT";
      if (first == 0 || first >= 240) return "reserved";
      if (first == 192 && second == 0 && (b[2] & 0xff) == 0) return "reserved";
      if (first == 198 && (second == 18 || second == 19)) return "benchmarking";
    } else if (a instanceof Inet6Address) {
      if ((b[0] & 0xfe) == 0xfc) return "private (unique local)";
      boolean mappedV4 = true;
      for (int i = 0; i < 10; i++) mappedV4 &= b[i] == 0;
      if (mappedV4 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        try {
          return refusal(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (java.net.UnknownHostException e) {
          return "invalid";
        }
      }
    }
    return null;
  }
}
