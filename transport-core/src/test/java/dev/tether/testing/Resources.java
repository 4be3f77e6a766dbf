package dev.tether.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened, closed in reverse order when it ends, whatever state the test left it in: a
 * resource a test broke on purpose may fail to close, and that is not what the test checks.
 */
public final class Resources implements AutoCloseable {
  private final List<AutoCloseable> opened = new ArrayList<>();

  /** Returns {@code resource}, to be closed at the end. */
  public <T extends AutoCloseable> T track(T resource) {
    opened.add(resource);
    return resource;
  }

  @Override
  public void close() {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        // broken on purpose, or closed already
      }
    }
    opened.clear();
  }
}
