package dev.outpost.broker;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable snapshot of what brokering needs from the site model: pools, resources, group memberships
 * and entitlements (to users, local groups and directory groups by normalised DN). The hub keeps the newest in
 * memory; it is also what appliances cache to broker alone.
 *
 * @param version increases with every change to the underlying tables
 */
public record SiteModel(
    long version,
    Map<String, Pool> pools,
    Map<String, Resource> resources,
    Map<String, Set<String>> groupsByUser,
    Map<String, Set<String>> usersEntitled,
    Map<String, Set<String>> groupsEntitled,
    Map<String, Set<String>> directoryGroupsEntitled) {

  public SiteModel {
    directoryGroupsEntitled = Map.copyOf(directoryGroupsEntitled);
    pools = Map.copyOf(pools);
    resources = Map.copyOf(resources);
    groupsByUser = Map.copyOf(groupsByUser);
    usersEntitled = Map.copyOf(usersEntitled);
    groupsEntitled = Map.copyOf(groupsEntitled);
  }

  /** A model without entitlements to directory groups. */
  public SiteModel(long version, Map<String, Pool> pools, Map<String, Resource> resources,
      Map<String, Set<String>> groupsByUser, Map<String, Set<String>> usersEntitled,
      Map<String, Set<String>> groupsEntitled) {
    this(version, pools, resources, groupsByUser, usersEntitled, groupsEntitled, Map.of());
  }

  /**
   * A pool of interchangeable session hosts.
   *
   * @param recordSessions whether browser terminals of the pool's resources are recorded (site policy)
   */
  public record Pool(String id, String name, int maxSessionsPerHost, String location, boolean recordSessions) {

    /** A pool whose sessions are not recorded. */
    public Pool(String id, String name, int maxSessionsPerHost, String location) {
      this(id, name, maxSessionsPerHost, location, false);
    }
  }

  /** A published app or desktop: a TCP service on the hosts of one pool. */
  public record Resource(String id, String name, String displayName, String poolId, String kind, int port,
      String launchHint, String hostLogin, String category) {

    /**
     * A resource without a host login.
     */
    public Resource(String id, String name, String displayName, String poolId, String kind, int port,
        String launchHint) {
      this(id, name, displayName, poolId, kind, port, launchHint, "");
    }

    /** A resource in no category. */
    public Resource(String id, String name, String displayName, String poolId, String kind, int port,
        String launchHint, String hostLogin) {
      this(id, name, displayName, poolId, kind, port, launchHint, hostLogin, "");
    }

    /**
     * {@code hostLogin}: the host account the site's SSH user CA signs for; empty when users give their own.
     * {@code category}: what the store groups it under; empty for none.
     */
    public Resource {
      hostLogin = hostLogin == null ? "" : hostLogin;
      category = category == null ? "" : category;
    }
  }

  /** The part of the model a resource location brokers: its pools and their resources. */
  public SiteModel forLocation(String location) {
    Map<String, Pool> localPools = new java.util.HashMap<>();
    pools.forEach((id, pool) -> {
      if (pool.location().equals(location)) {
        localPools.put(id, pool);
      }
    });
    Map<String, Resource> localResources = new java.util.HashMap<>();
    resources.forEach((id, resource) -> {
      if (localPools.containsKey(resource.poolId())) {
        localResources.put(id, resource);
      }
    });
    return new SiteModel(version, localPools, localResources, groupsByUser, usersEntitled, groupsEntitled,
        directoryGroupsEntitled);
  }

  public static SiteModel empty() {
    return new SiteModel(0, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
  }

  /** The resources this user may launch, directly or through a group, ordered by name. */
  public List<Resource> entitledResources(String userId) {
    return entitledResources(userId, Set.of());
  }

  /**
   * The resources this user may launch, directly, through a local group or through one of their directory
   * groups (normalised DNs resolved at sign-in), ordered by name.
   */
  public List<Resource> entitledResources(String userId, Set<String> directoryGroups) {
    return resources.values().stream()
        .filter(r -> entitled(userId, directoryGroups, r.id()))
        .sorted(Comparator.comparing(Resource::name, String.CASE_INSENSITIVE_ORDER))
        .toList();
  }

  public boolean entitled(String userId, String resourceId) {
    return entitled(userId, Set.of(), resourceId);
  }

  public boolean entitled(String userId, Set<String> directoryGroups, String resourceId) {
    if (usersEntitled.getOrDefault(resourceId, Set.of()).contains(userId)) {
      return true;
    }
    if (!directoryGroups.isEmpty()) {
      for (String group : directoryGroupsEntitled.getOrDefault(resourceId, Set.of())) {
        if (directoryGroups.contains(group)) {
          return true;
        }
      }
    }
    Set<String> groups = groupsEntitled.getOrDefault(resourceId, Set.of());
    if (groups.isEmpty()) {
      return false;
    }
    for (String group : groupsByUser.getOrDefault(userId, Set.of())) {
      if (groups.contains(group)) {
        return true;
      }
    }
    return false;
  }

  /** Finds a resource by id or (case-insensitive) name. */
  public Optional<Resource> resource(String idOrName) {
    Resource byId = resources.get(idOrName);
    if (byId != null) {
      return Optional.of(byId);
    }
    return resources.values().stream().filter(r -> r.name().equalsIgnoreCase(idOrName)).findFirst();
  }

  public Optional<Pool> pool(String id) {
    return Optional.ofNullable(pools.get(id));
  }
}
