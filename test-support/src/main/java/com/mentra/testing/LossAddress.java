package com.mentra.testing;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The address of the {@link LossyNamespace}: {@code $LKB_LOSS_IP}, checked, or one derived from the
 * node address, always another address in the node's /24.
 *
 * <p>Thread-safe: stateless.
 */
final class LossAddress {
  private LossAddress() {}

  /**
   * {@code $LKB_LOSS_IP} or the node address with last octet 77 (78 when the node is .77): in the
   * node's /24, so the test namespace needs no second subnet.
   */
  static String forNode(String nodeIp) {
    String configured = System.getenv("LKB_LOSS_IP");
    byte[] node;
    try {
      node = InetAddress.getByName(nodeIp).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException("LKB_NODE_IP is not an address: " + nodeIp, e);
    }
    if (configured != null && !configured.isBlank()) {
      byte[] a;
      try {
        InetAddress parsed = InetAddress.getByName(configured.strip());
        if (!(parsed instanceof Inet4Address))
          throw new IllegalStateException("LKB_LOSS_IP must be IPv4: " + configured);
        a = parsed.getAddress();
      } catch (UnknownHostException e) {
        throw new IllegalStateException("LKB_LOSS_IP is not an address: " + configured, e);
      }
      if (a[0] != node[0]
          || a[1] != node[1]
          || a[2] != node[2]
          || configured.strip().equals(nodeIp)) {
        throw new IllegalStateException(
            "LKB_LOSS_IP " + configured + " must be another address in " + nodeIp + "/24");
      }
      return configured.strip();
    }
    int last = (node[3] & 0xff) == 77 ? 78 : 77;
    return (node[0] & 0xff) + "." + (node[1] & 0xff) + "." + (node[2] & 0xff) + "." + last;
  }
}
