package dev.outpost.renewal;

import dev.outpost.crypto.RenewalSchedule;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code outpost_certificate_expiry_days{certificate}}: the days (with a fraction) until a certificate the node holds
 * or tracks ends, read at each scrape; NaN while there is none of that kind (no rotation under way, say). One label
 * value per kind of certificate, so the series stay few however many hosts there are (agents report their soonest).
 */
public final class CertificateGauges {

  /** The metric's name as registered (Prometheus adds {@code outpost_} and underscores). */
  public static final String NAME = "outpost.certificate.expiry.days";

  private CertificateGauges() {
  }

  /** Registers the gauge for one kind of certificate, e.g. {@code node}, {@code site-ca}. */
  public static void register(MeterRegistry registry, String certificate, Supplier<Optional<X509Certificate>> current) {
    Gauge.builder(NAME, () -> current.get().map(c -> RenewalSchedule.daysLeft(c, Instant.now())).orElse(Double.NaN))
        .tag("certificate", certificate)
        .description("Days until a certificate this node holds or tracks expires")
        .register(registry);
  }
}
