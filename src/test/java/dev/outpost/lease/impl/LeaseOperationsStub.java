package dev.outpost.lease.impl;

import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseOperations;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hub for cluster tests: answers {@code lease.issue} after 100 ms by signing each request with a real site key (no
 * site model: the leases name no resources) and counts what it signed.
 */
public final class LeaseOperationsStub implements Upstream {

  private final LeaseSigner signer = new LeaseSigner(SigningKey.generate());
  private final AtomicLong signed = new AtomicLong();

  public long signed() {
    return signed.get();
  }

  @Override
  public Future<JsonObject> request(String op, JsonObject body) {
    if (!LeaseOperations.ISSUE.equals(op)) {
      return Future.failedFuture(new IllegalArgumentException("no operation " + op));
    }
    JsonArray results = new JsonArray();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    for (Object o : body.getJsonArray("items")) {
      IssueRequest request = IssueRequest.fromJson((JsonObject) o);
      Lease lease = new Lease(UUID.randomUUID().toString(), "site", "default", new Lease.User(request.user().id(),
          request.user().username()), Set.of(), request.device(), List.of(), request.appliances(), null, now,
          now.plus(Duration.ofDays(7)), signer.keyId());
      results.add(new JsonObject().put("key", request.key()).put("lease", signer.sign(lease)));
      signed.incrementAndGet();
    }
    // answer a little later, as a hub across a network does, so that batches are in flight when a member dies
    io.vertx.core.Promise<JsonObject> answer = io.vertx.core.Promise.promise();
    io.vertx.core.Vertx.currentContext().owner().setTimer(100, id -> answer.complete(new JsonObject()
        .put("items", results)));
    return answer.future();
  }

  @Override
  public boolean reachable() {
    return true;
  }
}
