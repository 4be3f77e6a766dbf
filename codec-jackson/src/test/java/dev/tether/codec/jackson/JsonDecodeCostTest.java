package dev.tether.codec.jackson;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.tether.testing.DecodeCostContract;
import dev.tether.testing.MatrixTypes.Moment;
import dev.tether.testing.MatrixTypes.Span;
import dev.tether.testing.MatrixTypes.Text;
import java.util.List;

/** Runs core's decode-cost and one-limit contract against the {@code json} codec. */
class JsonDecodeCostTest extends DecodeCostContract {
  @Override
  protected String codecName() {
    return "json";
  }

  /** Map keys are strings in JSON: a map as a key is refused when encoded. */
  @Override
  protected boolean carriesMapsAsKeys() {
    return false;
  }

  @Override
  protected List<Crafted> craftedPayloads() {
    return List.of(
        new Crafted(
            "an array nested 100,000 deep",
            Text.class,
            ("{\"value\":" + "[".repeat(100_000)).getBytes(UTF_8)),
        new Crafted(
            "an Instant as 1e999999999", Moment.class, "{\"at\":1e999999999}".getBytes(UTF_8)),
        new Crafted(
            "a Duration as 1e999999999", Span.class, "{\"length\":1e999999999}".getBytes(UTF_8)),
        new Crafted(
            "a number of 1,000,000 digits",
            Text.class,
            ("{\"value\":" + "9".repeat(1_000_000) + "}").getBytes(UTF_8)));
  }
}
