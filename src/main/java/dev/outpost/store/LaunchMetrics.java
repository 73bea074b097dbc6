package dev.outpost.store;

import dev.outpost.error.OutpostException;
import dev.outpost.lease.LeaseRejected;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What operators count of the launches this node's store answers, signed-in and with a lease alike:
 * {@code outpost_launches_total{result}}, {@code outpost_launch_failures_total{reason}} and
 * {@code outpost_lease_launches_total{result,reason}}. Every label value is registered at zero from the start, so
 * that an alert on a rate sees the series before the first event.
 */
public final class LaunchMetrics {

  /** Why a launch failed, as a metric label. */
  enum Failure {
    /** The resource is unknown or not published to the user (404). */
    NOT_FOUND("not-found"),
    /** No host of the pool takes sessions: none registered, all draining or in maintenance, service down. */
    NO_HOST("no-host"),
    /** Every host of the pool that takes sessions is full. */
    CAPACITY("capacity"),
    /** The broker could not be asked or did not answer: the hub, the cluster's leader, the ticket store. */
    UNAVAILABLE("unavailable"),
    /** Anything else. */
    ERROR("error");

    final String label;

    Failure(String label) {
      this.label = label;
    }

    static Failure of(Throwable e) {
      if (!(e instanceof OutpostException problem)) {
        return ERROR;
      }
      if (dev.outpost.error.ServerErrorException.NO_HOST_AVAILABLE.equals(problem.type())) {
        return NO_HOST;
      }
      if (dev.outpost.error.ClientErrorException.AT_CAPACITY.equals(problem.type())) {
        return CAPACITY;
      }
      if (problem.status() == 404) {
        return NOT_FOUND;
      }
      return problem.status() == 502 || problem.status() == 503 || problem.status() == 504 ? UNAVAILABLE : ERROR;
    }
  }

  /** Lease launches whose refusal was not the lease's verdict (e.g. its trust could not be read). */
  private static final String LEASE_ERROR = "error";

  private final Counter placed;
  private final Counter reconnected;
  private final Map<Failure, Counter> failures = new EnumMap<>(Failure.class);
  private final Counter leaseAccepted;
  private final Map<String, Counter> leaseRefused = new LinkedHashMap<>();

  public LaunchMetrics(MeterRegistry registry) {
    Objects.requireNonNull(registry);
    placed = launches(registry, "placed");
    reconnected = launches(registry, "reconnected");
    for (Failure failure : Failure.values()) {
      failures.put(failure, Counter.builder("outpost.launch.failures").tag("reason", failure.label)
          .description("Launches this node's store refused or could not place, by reason").register(registry));
    }
    leaseAccepted = lease(registry, "accepted", "");
    for (LeaseRejected.Reason reason : LeaseRejected.Reason.values()) {
      leaseRefused.put(reason.label(), lease(registry, "refused", reason.label()));
    }
    leaseRefused.put(LEASE_ERROR, lease(registry, "refused", LEASE_ERROR));
  }

  private static Counter launches(MeterRegistry registry, String result) {
    return Counter.builder("outpost.launches").tag("result", result)
        .description("Launches this node's store answered with a ticket: a new session placed, or a reconnect")
        .register(registry);
  }

  private static Counter lease(MeterRegistry registry, String result, String reason) {
    return Counter.builder("outpost.lease.launches").tag("result", result).tag("reason", reason)
        .description("Lease launches at this node: the lease accepted, or refused by reason").register(registry);
  }

  void launched(boolean reconnect) {
    (reconnect ? reconnected : placed).increment();
  }

  void failed(Throwable e) {
    failures.get(Failure.of(e)).increment();
  }

  void leaseAccepted() {
    leaseAccepted.increment();
  }

  void leaseRefused(Throwable e) {
    leaseRefused.get(e instanceof LeaseRejected rejected ? rejected.reason().label() : LEASE_ERROR).increment();
  }
}
