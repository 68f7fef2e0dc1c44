package com.mentra.bridge.server;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS for the gRPC listener from PEM files. With a client CA, the handshake asks for a client
 * certificate but accepts any: {@link BearerTokenInterceptor} verifies it against the CA per call,
 * so a missing, foreign or expired certificate gets UNAUTHENTICATED with a reason instead of a
 * failed handshake the caller cannot explain.
 */
final class TlsSetup {
  private TlsSetup() {}

  static SslContext serverContext(BridgeConfig config) throws IOException {
    SslContextBuilder builder =
        GrpcSslContexts.forServer(new File(config.tlsCertFile()), new File(config.tlsKeyFile()));
    if (!config.tlsClientCaFile().isEmpty()) {
      builder.trustManager(InsecureTrustManagerFactory.INSTANCE).clientAuth(ClientAuth.OPTIONAL);
    }
    return builder.build();
  }

  /** Verifies client certificates against the CA file; null without mutual TLS. */
  static X509TrustManager clientVerifier(BridgeConfig config) {
    if (config.tlsClientCaFile().isEmpty()) return null;
    try (InputStream in = Files.newInputStream(Path.of(config.tlsClientCaFile()))) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in))
        store.setCertificateEntry("ca-" + i++, ca);
      if (i == 0)
        throw new BridgeConfig.ConfigException(
            "TLS_CLIENT_CA_FILE " + config.tlsClientCaFile() + " holds no certificate");
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509TrustManager x509) return x509;
      }
      throw new IllegalStateException("no X.509 trust manager");
    } catch (IOException | GeneralSecurityException e) {
      throw new BridgeConfig.ConfigException(
          "cannot load TLS_CLIENT_CA_FILE " + config.tlsClientCaFile() + ": " + e.getMessage());
    }
  }
}
