package dev.tether.codec.jackson;

import dev.tether.testing.DecodeCostContract;
import dev.tether.testing.MatrixTypes.Moment;
import dev.tether.testing.MatrixTypes.Text;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Runs core's decode-cost and one-limit contract against the {@code cbor} codec, with payloads only
 * CBOR can express: many tags on one value (quadratic in Jackson's parser) and string references.
 */
class CborDecodeCostTest extends DecodeCostContract {
  @Override
  protected String codecName() {
    return "cbor";
  }

  /** Map keys are strings in CBOR: a map as a key is refused when encoded. */
  @Override
  protected boolean carriesMapsAsKeys() {
    return false;
  }

  @Override
  protected List<Crafted> craftedPayloads() {
    return List.of(
        new Crafted("400,000 tags on one string", Text.class, taggedText(400_000)),
        new Crafted("1,000,000 tags on one string", Text.class, taggedText(1_000_000)),
        new Crafted("5 tags on one string", Text.class, taggedText(5)),
        new Crafted(
            "a string reference to a 60,000-byte string",
            Text.class,
            Codecs.hex("d90100 a1 6576616c7565 d819 00")), // tag 256 {"value": tag 25(0)}
        new Crafted(
            "an Instant as 1e999999999", Moment.class, Codecs.hex("a1 626174 fb7ff0000000000000")));
  }

  /** {"value": tag(1) tag(1) ... "x"}: {@code count} one-byte tags on one text string. */
  static byte[] taggedText(int count) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(count + 16);
    out.write(0xa1); // map of one pair
    out.writeBytes(Codecs.hex("65 76616c7565")); // "value"
    for (int i = 0; i < count; i++) {
      out.write(0xc1); // tag 1 (epoch-based date/time), one byte
    }
    out.writeBytes(Codecs.hex("61 78")); // "x"
    return out.toByteArray();
  }
}
