package dev.outpost.bench;

import dev.outpost.lease.Lease;
import dev.outpost.lease.impl.CanonicalJson;
import dev.outpost.lease.impl.LeaseSigner;
import dev.outpost.lease.impl.LeaseTrust;
import dev.outpost.lease.impl.SigningKey;
import dev.outpost.lease.impl.TrustedKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntSupplier;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Lease signing and verification per second on one node, against raw Bouncy Castle Ed25519 sign and verify of the
 * same payload in the same run. "Lease" is everything an issuer and an appliance do: canonical encoding, base64url
 * and signing; strict decoding, canonical check, reading the document, key lookup, signature and validity checks.
 * "Raw" is {@link Ed25519Signer} over the same bytes. Measured on one thread and on all cores, interleaved, best of
 * three rounds each.
 *
 * <p>Usage: {@code LeaseBench [SECONDS_PER_MEASUREMENT]} (default 2).
 */
public final class LeaseBench {

  private static final String CONTEXT = Lease.TYPE;

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
    SigningKey key = SigningKey.generate();
    Instant now = Instant.now();
    Lease lease = sample(key.keyId(), now);
    LeaseSigner signer = new LeaseSigner(key);
    LeaseTrust trust = new LeaseTrust("site", List.of(new TrustedKey(key.keyId(), key.publicKey(), null)), List.of());
    String token = signer.sign(lease);
    byte[] payload = CanonicalJson.encode(lease.toJson());
    byte[] input = signedInput(payload);
    byte[] rawSignature = rawSign(key, input);
    if (!trust.verify(token, now).equals(lease) || !rawVerify(key, input, rawSignature)) {
      throw new IllegalStateException("the benchmark's lease does not verify");
    }
    System.out.printf("lease bench: payload %d bytes, token %d characters, %d resources, %.1f s per measurement, "
        + "%d cores%n", payload.length, token.length(), lease.resources().size(), seconds,
        Runtime.getRuntime().availableProcessors());

    IntSupplier leaseSign = () -> signer.sign(lease).length();
    IntSupplier leaseVerify = () -> trust.verify(token, now).resources().size();
    IntSupplier rawSign = () -> rawSign(key, input).length;
    IntSupplier rawVerify = () -> rawVerify(key, input, rawSignature) ? 1 : 0;

    // warm-up: let the JIT see every path
    for (IntSupplier op : List.of(leaseSign, leaseVerify, rawSign, rawVerify)) {
      rate(op, 1, Math.min(1.0, seconds));
    }
    int cores = Runtime.getRuntime().availableProcessors();
    for (int threads : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
      double[] best = new double[4];
      for (int round = 0; round < 3; round++) {
        int i = 0;
        for (IntSupplier op : List.of(leaseSign, rawSign, leaseVerify, rawVerify)) {
          best[i] = Math.max(best[i], rate(op, threads, seconds));
          i++;
        }
      }
      double leasePair = 1 / (1 / best[0] + 1 / best[2]);
      double rawPair = 1 / (1 / best[1] + 1 / best[3]);
      System.out.printf("%d thread(s): sign   lease %8.0f/s  raw %8.0f/s  ratio %.2f%n", threads, best[0], best[1],
          best[0] / best[1]);
      System.out.printf("%d thread(s): verify lease %8.0f/s  raw %8.0f/s  ratio %.2f%n", threads, best[2], best[3],
          best[2] / best[3]);
      System.out.printf("%d thread(s): sign+verify lease %8.0f/s  raw %8.0f/s  ratio %.2f  (goal >= 0.70)%n", threads,
          leasePair, rawPair, leasePair / rawPair);
    }
  }

  /** Operations per second of {@code op} on {@code threads} threads for about {@code seconds}. */
  private static double rate(IntSupplier op, int threads, double seconds) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      List<Future<long[]>> runs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        runs.add(pool.submit(() -> {
          long count = 0;
          long sink = 0;
          long started = System.nanoTime();
          while (System.nanoTime() < deadline) {
            sink += op.getAsInt();
            count++;
          }
          return new long[] {count, System.nanoTime() - started, sink};
        }));
      }
      double total = 0;
      for (Future<long[]> run : runs) {
        long[] result = run.get();
        total += result[0] / (result[1] / 1e9);
      }
      return total;
    } finally {
      pool.shutdown();
    }
  }

  private static byte[] signedInput(byte[] payload) {
    byte[] prefix = CONTEXT.getBytes(StandardCharsets.US_ASCII);
    byte[] input = new byte[prefix.length + 1 + payload.length];
    System.arraycopy(prefix, 0, input, 0, prefix.length);
    System.arraycopy(payload, 0, input, prefix.length + 1, payload.length);
    return input;
  }

  private static byte[] rawSign(SigningKey key, byte[] input) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, key.privateKey());
    signer.update(input, 0, input.length);
    return signer.generateSignature();
  }

  private static boolean rawVerify(SigningKey key, byte[] input, byte[] signature) {
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, key.publicKey());
    verifier.update(input, 0, input.length);
    return verifier.verifySignature(signature);
  }

  /** A lease as a user with ten apps and desktops and a two-node site with a hub gets it. */
  private static Lease sample(String keyId, Instant now) {
    List<Lease.Resource> resources = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      resources.add(new Lease.Resource(java.util.UUID.randomUUID().toString(), "resource-" + i, "pool-" + (i % 3),
          i % 2 == 0 ? "desktop" : "app"));
    }
    List<Lease.Appliance> appliances = List.of(
        new Lease.Appliance("https://outpost-1.branch.example.com:8443", "outpost-1.branch.example.com:2598",
            "wss://outpost-1.branch.example.com:8443/gateway", "ab".repeat(32)),
        new Lease.Appliance("https://outpost-2.branch.example.com:8443", "outpost-2.branch.example.com:2598",
            "wss://outpost-2.branch.example.com:8443/gateway", "cd".repeat(32)));
    return new Lease(java.util.UUID.randomUUID().toString(), "site", "branch-office", new Lease.User(
        java.util.UUID.randomUUID().toString(), "alice"), Set.of(), "x".repeat(43), resources, appliances,
        new Lease.HubGateway("wss://hub.example.com:9443/gateway?location=branch-office", "ef".repeat(32)),
        now.minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
        now.plus(Duration.ofDays(7)).truncatedTo(java.time.temporal.ChronoUnit.MILLIS), keyId);
  }
}
