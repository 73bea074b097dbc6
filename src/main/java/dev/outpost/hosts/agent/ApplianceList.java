package dev.outpost.hosts.agent;

import dev.outpost.hosts.AgentLinkProtocol;
import io.vertx.core.json.JsonArray;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What an agent makes of the appliance URLs an appliance sends it ({@code appliances} in {@code registered} and
 * in {@code appliances} messages): the list it tries on link loss, in the order given.
 */
final class ApplianceList {

  private ApplianceList() {
  }

  /**
   * The list to keep after {@code current} offered {@code offered}, or empty when there is nothing new: the offer
   * is missing, has no usable URL, or is what the agent has. {@code current} stays in the list (at the end when the
   * offer does not name it): the agent reached it, whatever name the appliances give themselves.
   */
  static Optional<List<URI>> learn(Object offered, List<URI> known, URI current) {
    if (!(offered instanceof JsonArray array)) {
      return Optional.empty();
    }
    Set<URI> usable = new LinkedHashSet<>();
    for (Object entry : array) {
      parse(entry).ifPresent(usable::add);
      if (usable.size() == AgentLinkProtocol.MAX_APPLIANCES) {
        break;
      }
    }
    if (usable.isEmpty()) {
      return Optional.empty();
    }
    usable.add(normalize(current));
    List<URI> list = new ArrayList<>(usable);
    return list.equals(known.stream().map(ApplianceList::normalize).toList()) ? Optional.empty()
        : Optional.of(List.copyOf(list));
  }

  /** Where {@code appliance} is in {@code list}, or -1. */
  static int indexOf(List<URI> list, URI appliance) {
    return list.indexOf(normalize(appliance));
  }

  private static Optional<URI> parse(Object entry) {
    if (!(entry instanceof String text) || text.length() > 2048) {
      return Optional.empty();
    }
    try {
      URI url = new URI(text);
      if (!"https".equalsIgnoreCase(url.getScheme()) || url.getHost() == null || url.getUserInfo() != null) {
        return Optional.empty();
      }
      return Optional.of(normalize(url));
    } catch (java.net.URISyntaxException e) {
      return Optional.empty();
    }
  }

  /** Scheme, host and port only, lower case, so that the same appliance is one entry however it was written. */
  private static URI normalize(URI url) {
    return URI.create("https://" + url.getHost().toLowerCase(Locale.ROOT) + ":"
        + (url.getPort() > 0 ? url.getPort() : 443));
  }
}
