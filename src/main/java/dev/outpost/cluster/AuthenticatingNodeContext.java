package dev.outpost.cluster;

import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.impl.DefaultNodeContext;
import com.hazelcast.instance.impl.DefaultNodeExtension;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.instance.impl.NodeExtension;
import com.hazelcast.nio.MemberSocketInterceptor;
import java.util.Objects;

/**
 * Starts a Hazelcast member whose cluster connections pass {@link MemberAuthenticator} first. Open-source
 * Hazelcast calls a member socket interceptor on every connection it accepts or opens, but only asks the node
 * extension for one (the enterprise edition makes it from configuration); this context hands the node an
 * extension that answers with Outpost's.
 */
final class AuthenticatingNodeContext extends DefaultNodeContext {

  private final MemberSocketInterceptor authenticator;

  AuthenticatingNodeContext(MemberSocketInterceptor authenticator) {
    this.authenticator = Objects.requireNonNull(authenticator);
  }

  @Override
  public NodeExtension createNodeExtension(Node node) {
    return new Extension(node, authenticator);
  }

  private static final class Extension extends DefaultNodeExtension {
    private final MemberSocketInterceptor authenticator;

    Extension(Node node, MemberSocketInterceptor authenticator) {
      super(node);
      this.authenticator = authenticator;
    }

    @Override
    public MemberSocketInterceptor getSocketInterceptor(EndpointQualifier qualifier) {
      return authenticator;
    }
  }
}
