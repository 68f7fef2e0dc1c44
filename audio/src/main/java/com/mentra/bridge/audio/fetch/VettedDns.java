package com.mentra.bridge.audio.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import okhttp3.Dns;

/**
 * Resolves a host once and hands OkHttp only addresses that passed {@link AddressGuard}: the
 * connection goes to exactly the addresses that were checked, so a DNS server that answers a public
 * address to the check and a private one to the connect (DNS rebinding) gets nowhere. Thread-safe.
 */
final class VettedDns implements Dns {
  /** A host that resolves to an address audio may not be fetched from. */
  static final class RefusedAddressException extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    RefusedAddressException(String message) {
      super(message);
    }
  }

  private final Dns resolver;

  VettedDns(Dns resolver) {
    this.resolver = resolver;
  }

  @Override
  public List<InetAddress> lookup(String host) throws UnknownHostException {
    List<InetAddress> addresses = resolver.lookup(host);
    for (InetAddress address : addresses) {
      String refusal = AddressGuard.refusal(address);
      if (refusal != null) {
        throw new RefusedAddressException(
            host + " resolves to a " + refusal + " address (" + address.getHostAddress() + ")");
      }
    }
    return addresses;
  }
}
