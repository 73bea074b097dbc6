package dev.outpost.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test class takes the run's shared default {@link TestSite} (see {@link SiteExtension}) instead of starting one
 * of its own. Only for classes that share without noticing: they read only what they made themselves (their own
 * names, audit rows after the newest one they saw, their own sign-ins), need no setting but the defaults, and leave
 * the node as they found it (no drain, no restart, nothing stopped).
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(SiteExtension.class)
public @interface SharedSite {
}
