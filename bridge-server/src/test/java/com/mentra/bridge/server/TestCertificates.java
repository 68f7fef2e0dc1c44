package com.mentra.bridge.server;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA with server and client certificates as PEM files, for the TLS tests. */
final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A certificate and its private key, as PEM files. */
  record Issued(Path certificate, Path privateKey) {}

  private final Path dir;
  private final KeyPair caKeys;
  private final X509Certificate ca;
  final Path caFile;

  TestCertificates(Path dir, String caName) throws Exception {
    this.dir = dir;
    this.caKeys = keys();
    Instant now = Instant.now();
    var builder =
        new JcaX509v3CertificateBuilder(
            new X500Name("CN=" + caName),
            serial(),
            Date.from(now.minus(1, ChronoUnit.DAYS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)),
            new X500Name("CN=" + caName),
            caKeys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    this.ca =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(
                    new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
    this.caFile = write(caName + "-ca.pem", ca);
  }

  /** A server certificate for {@code ip}. */
  Issued server(String ip) throws Exception {
    return issue(
        "server",
        ip,
        Instant.now().minus(1, ChronoUnit.HOURS),
        Instant.now().plus(1, ChronoUnit.DAYS));
  }

  /** A client certificate valid now, or (expired) one that ended yesterday. */
  Issued client(String name, boolean expired) throws Exception {
    Instant now = Instant.now();
    return expired
        ? issue(name, null, now.minus(3, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS))
        : issue(name, null, now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
  }

  private Issued issue(String name, String ip, Instant from, Instant until) throws Exception {
    KeyPair keys = keys();
    var builder =
        new JcaX509v3CertificateBuilder(
            ca,
            serial(),
            Date.from(from),
            Date.from(until),
            new X500Name("CN=" + name),
            keys.getPublic());
    if (ip != null) {
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName(GeneralName.iPAddress, InetAddress.getByName(ip).getHostAddress())));
    }
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(
                    new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
    Path certFile = write(name + "-" + cert.getSerialNumber() + ".pem", cert);
    Path keyFile =
        write(
            name + "-" + cert.getSerialNumber() + "-key.pem",
            new JcaPKCS8Generator(keys.getPrivate(), null).generate());
    return new Issued(certFile, keyFile);
  }

  private Path write(String name, Object pemObject) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(pemObject);
    }
    Path file = dir.resolve(name);
    Files.writeString(file, text.toString());
    return file;
  }

  private static KeyPair keys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }
}
