package dev.outpost.appliance;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Turns SIGTERM and SIGINT into an orderly stop that ends with exit status 0, as service managers expect of
 * a clean stop. Uses the JDK's {@code sun.misc.Signal} through reflection (it is not part of the Java SE API);
 * when that is unavailable the caller falls back to a shutdown hook.
 */
public final class StopSignals {

  private StopSignals() {
  }

  /** Installs the handlers; returns false when this JVM does not allow it. */
  public static boolean install(Runnable onStop) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      Method handle = signal.getMethod("handle", signal, handlerType);
      InvocationHandler invocation = (proxy, method, args) -> {
        if ("handle".equals(method.getName())) {
          onStop.run();
        }
        return null;
      };
      Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(), new Class<?>[] {handlerType},
          invocation);
      for (String name : new String[] {"TERM", "INT"}) {
        handle.invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
      }
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
