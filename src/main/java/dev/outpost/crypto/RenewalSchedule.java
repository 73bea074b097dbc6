package dev.outpost.crypto;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * When a certificate is renewed: at {@code fraction} of its lifetime (from not-before to not-after), moved by up to
 * {@code jitter} of the lifetime either way, so that the hosts enrolled on one day do not all renew in the same
 * minute a year later. A renewal that fails is tried again after a tenth of the time left (at least a second, at
 * most an hour), so that it keeps trying, ever more often, while the certificate still works.
 *
 * @param fraction share of the lifetime after which a certificate is renewed, in (0, 1)
 * @param jitter largest share of the lifetime by which one renewal moves from {@code fraction}, in [0, 0.2]
 */
public record RenewalSchedule(double fraction, double jitter) {

  /** Renew at two thirds of the lifetime. */
  public static final double DEFAULT_FRACTION = 2.0 / 3.0;
  /** Each renewal moves by up to 5% of the lifetime, either way. */
  public static final double DEFAULT_JITTER = 0.05;
  public static final RenewalSchedule DEFAULT = new RenewalSchedule(DEFAULT_FRACTION, DEFAULT_JITTER);

  private static final Duration MIN_RETRY = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY = Duration.ofHours(1);

  public RenewalSchedule {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("the renewal fraction must be between 0 and 1: " + fraction);
    }
    if (!(jitter >= 0 && jitter <= 0.2)) {
      throw new IllegalArgumentException("the renewal jitter must be between 0 and 0.2: " + jitter);
    }
  }

  /** The same jitter at another fraction. */
  public RenewalSchedule withFraction(double newFraction) {
    return new RenewalSchedule(newFraction, jitter);
  }

  /**
   * When to renew a certificate valid from {@code notBefore} to {@code notAfter}.
   *
   * @param random where in the jitter window this renewal falls, in [0, 1)
   */
  public Instant renewAt(Instant notBefore, Instant notAfter, double random) {
    long lifetime = Math.max(0, Duration.between(notBefore, notAfter).toMillis());
    double share = Math.min(0.99, Math.max(0.01, fraction + jitter * (2 * random - 1)));
    return notBefore.plusMillis(Math.round(lifetime * share));
  }

  /** When to renew {@code certificate}, with a random place in the jitter window. */
  public Instant renewAt(X509Certificate certificate, RandomGenerator random) {
    return renewAt(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant(),
        random.nextDouble());
  }

  /** Whether {@code certificate} is past its renewal point at {@code now}, jitter aside (at start-up). */
  public boolean due(X509Certificate certificate, Instant now) {
    return !now.isBefore(renewAt(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant(), 0.5));
  }

  /** How long to wait before trying again after a failed renewal of a certificate that ends at {@code notAfter}. */
  public static Duration retryAfter(Instant notAfter, Instant now) {
    Duration tenth = Duration.between(now, notAfter).dividedBy(10);
    return tenth.compareTo(MIN_RETRY) < 0 ? MIN_RETRY : tenth.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : tenth;
  }

  /** How long from {@code now} until {@code when}, never negative. */
  public static Duration until(Instant when, Instant now) {
    Duration left = Duration.between(now, when);
    return left.isNegative() ? Duration.ZERO : left;
  }

  /** Days from {@code now} until the certificate ends (negative once it has), with a fraction. */
  public static double daysLeft(X509Certificate certificate, Instant now) {
    return Duration.between(now, certificate.getNotAfter().toInstant()).toMillis() / 86_400_000.0;
  }
}
