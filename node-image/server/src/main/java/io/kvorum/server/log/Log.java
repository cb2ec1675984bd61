package io.kvorum.server.log;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;

/**
 * Structured logging as etcd's zap logger writes it: one JSON object per line with {@code
 * level}, {@code ts} (seconds since the epoch, fractional), {@code caller} ({@code
 * package/File.java:line}), {@code msg}, then the fields in the order given. For example
 *
 * <pre>{@code
 * log.info("updated cluster version", "from", "1.0", "to", "1.1");
 * // {"level":"info","ts":1526587281.2010646,"caller":"membership/RaftCluster.java:88",
 * //  "msg":"updated cluster version","from":"1.0","to":"1.1"}
 * }</pre>
 *
 * <p>Fields are name/value pairs; strings are quoted, numbers and booleans are not, a {@link
 * Duration} is written in seconds (as zap's {@code took}), a collection as a JSON array, a
 * throwable as its message. Lines go to every output of {@code --log-outputs}; each line is
 * written whole (one lock), so lines of different threads never interleave.
 */
public final class Log {

  /** Levels in zap's order. */
  public enum Level {
    DEBUG,
    INFO,
    WARN,
    ERROR;

    static Level parse(String s) {
      return Level.valueOf(s.toUpperCase(Locale.ROOT));
    }
  }

  private static final Object LOCK = new Object();
  private static volatile List<PrintStream> outputs = List.of(System.err);
  private static volatile Level threshold = Level.INFO;

  private final String fallbackCaller;

  private Log(String fallbackCaller) {
    this.fallbackCaller = fallbackCaller;
  }

  public static Log get(Class<?> type) {
    return new Log(shortName(type.getName()));
  }

  /**
   * Points all logging at {@code --log-outputs} ({@code stderr}, {@code stdout} or files, opened
   * for append) with {@code --log-level}, and routes {@code java.util.logging} (gRPC, Netty,
   * Vert.x) into the same JSON lines at warn and above.
   *
   * @throws IOException when a log file cannot be opened
   */
  public static void configure(String level, List<String> targets) throws IOException {
    List<PrintStream> opened = new ArrayList<>();
    for (String target : targets) {
      switch (target) {
        case "stderr" -> opened.add(System.err);
        case "stdout" -> opened.add(System.out);
        default -> {
          Path path = Path.of(target);
          if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
          }
          OutputStream file = new FileOutputStream(path.toFile(), true);
          opened.add(new PrintStream(file, true, StandardCharsets.UTF_8));
        }
      }
    }
    threshold = Level.parse(level);
    outputs = List.copyOf(opened);
    bridgeJavaUtilLogging();
  }

  public boolean enabled(Level level) {
    return level.compareTo(threshold) >= 0;
  }

  public void debug(String msg, Object... fields) {
    write(Level.DEBUG, msg, fields);
  }

  public void info(String msg, Object... fields) {
    write(Level.INFO, msg, fields);
  }

  public void warn(String msg, Object... fields) {
    write(Level.WARN, msg, fields);
  }

  public void error(String msg, Object... fields) {
    write(Level.ERROR, msg, fields);
  }

  private void write(Level level, String msg, Object[] fields) {
    if (!enabled(level)) {
      return;
    }
    emit(level, caller(), msg, fields);
  }

  /** Formats one line; package-private for tests. */
  static String format(Level level, double ts, String caller, String msg, Object[] fields) {
    StringBuilder b = new StringBuilder(160);
    b.append("{\"level\":\"").append(level.name().toLowerCase(Locale.ROOT)).append('"');
    b.append(",\"ts\":").append(String.format(Locale.ROOT, "%.6f", ts));
    b.append(",\"caller\":");
    quote(b, caller);
    b.append(",\"msg\":");
    quote(b, msg);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      b.append(',');
      quote(b, String.valueOf(fields[i]));
      b.append(':');
      value(b, fields[i + 1]);
    }
    if (fields.length % 2 == 1) {
      b.append(",\"!BADKEY\":");
      value(b, fields[fields.length - 1]);
    }
    return b.append('}').toString();
  }

  private static void emit(Level level, String caller, String msg, Object[] fields) {
    double ts = System.currentTimeMillis() / 1000.0 + (System.nanoTime() % 1000) / 1e9;
    String line = format(level, ts, caller, msg, fields);
    synchronized (LOCK) {
      for (PrintStream out : outputs) {
        out.println(line);
        out.flush();
      }
    }
  }

  private String caller() {
    return StackWalker.getInstance()
        .walk(
            frames ->
                frames
                    .filter(f -> !f.getClassName().equals(Log.class.getName()))
                    .findFirst()
                    .map(f -> shortName(f.getClassName().replaceAll("\\$.*", "")) + ".java:" + f.getLineNumber())
                    .orElse(fallbackCaller));
  }

  /** {@code io.kvorum.server.etcd.EtcdServer} → {@code etcd/EtcdServer}, as zap shows Go callers. */
  private static String shortName(String className) {
    String[] parts = className.split("\\.");
    if (parts.length < 2) {
      return className;
    }
    return parts[parts.length - 2] + "/" + parts[parts.length - 1];
  }

  private static void value(StringBuilder b, Object v) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof Number || v instanceof Boolean) {
      b.append(v);
    } else if (v instanceof Duration d) {
      b.append(String.format(Locale.ROOT, "%.9f", d.toNanos() / 1e9));
    } else if (v instanceof Collection<?> c) {
      b.append('[');
      boolean first = true;
      for (Object o : c) {
        if (!first) {
          b.append(',');
        }
        first = false;
        value(b, o);
      }
      b.append(']');
    } else if (v instanceof Throwable t) {
      quote(b, t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
    } else {
      quote(b, v.toString());
    }
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  private static void bridgeJavaUtilLogging() {
    java.util.logging.Logger root = LogManager.getLogManager().getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    root.setLevel(java.util.logging.Level.WARNING);
    root.addHandler(
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            Level level =
                r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue() ? Level.ERROR : Level.WARN;
            if (level.compareTo(threshold) < 0) {
              return;
            }
            String msg = r.getMessage() == null ? "" : r.getMessage();
            Object[] fields = r.getThrown() == null ? new Object[0] : new Object[] {"error", r.getThrown()};
            emit(level, String.valueOf(r.getLoggerName()), msg, fields);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        });
  }
}
