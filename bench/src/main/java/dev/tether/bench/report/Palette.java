package dev.tether.bench.report;

import java.awt.Color;
import java.util.Locale;

/** Each contender's name in the report and its colour, the same in every chart panel. */
enum Palette {
  TETHER("Tether", new Color(0x1f, 0x77, 0xb4)),
  TETHER_LOOP("Tether, handlers on loop", new Color(0x6b, 0xae, 0xd6)),
  TETHER_POOL("Tether, handlers on pool", new Color(0x9e, 0xca, 0xe1)),
  NETTY("Netty", new Color(0xff, 0x7f, 0x0e)),
  RAW("raw", new Color(0x7f, 0x7f, 0x7f));

  private final String label;
  private final Color color;

  Palette(String label, Color color) {
    this.label = label;
    this.color = color;
  }

  String label() {
    return label;
  }

  Color color() {
    return color;
  }

  /** Returns the entry for a contender's enum name, such as {@code TETHER_LOOP}. */
  static Palette of(String contender) {
    return valueOf(contender.toUpperCase(Locale.ROOT));
  }
}
