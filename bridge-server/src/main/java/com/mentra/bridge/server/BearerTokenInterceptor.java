package com.mentra.bridge.server;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;

/**
 * Admits a call to the bridge API only with a credential: a bearer token from the configured set in
 * the {@code authorization} metadata (several at once, for rotation), and, when mutual TLS is on, a
 * client certificate that the configured CA signed and that is valid now. Anything else is
 * UNAUTHENTICATED before the service sees it. Tokens are compared through their SHA-256 digests
 * with {@link MessageDigest#isEqual}, so neither content nor length leaks through timing.
 * Thread-safe (immutable).
 */
final class BearerTokenInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final List<byte[]> tokenDigests;
  private final X509TrustManager clientCertificates;

  /**
   * @param tokens accepted bearer tokens; empty: no token required
   * @param clientCertificates verifies client certificates (mutual TLS); null: none required
   */
  BearerTokenInterceptor(List<String> tokens, X509TrustManager clientCertificates) {
    this.tokenDigests = tokens.stream().map(BearerTokenInterceptor::digest).toList();
    this.clientCertificates = clientCertificates;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String problem = problem(call, headers);
    if (problem != null) {
      call.close(Status.UNAUTHENTICATED.withDescription(problem), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }

  private String problem(ServerCall<?, ?> call, Metadata headers) {
    if (clientCertificates != null) {
      SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      if (tls == null) return "a TLS client certificate is required";
      try {
        Certificate[] chain = tls.getPeerCertificates();
        X509Certificate[] x509 = new X509Certificate[chain.length];
        for (int i = 0; i < chain.length; i++) x509[i] = (X509Certificate) chain[i];
        x509[0].checkValidity();
        clientCertificates.checkClientTrusted(x509, x509[0].getPublicKey().getAlgorithm());
      } catch (SSLPeerUnverifiedException e) {
        return "a TLS client certificate is required";
      } catch (CertificateException | ClassCastException e) {
        return "the TLS client certificate is not acceptable: " + e.getMessage();
      }
    }
    if (tokenDigests.isEmpty()) return null;
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7))
      return "a bearer token is required (authorization: Bearer <token>)";
    byte[] presented = digest(header.substring(7).trim());
    boolean match = false;
    for (byte[] accepted : tokenDigests)
      match |= MessageDigest.isEqual(presented, accepted); // no early exit
    return match ? null : "the bearer token is not accepted";
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
