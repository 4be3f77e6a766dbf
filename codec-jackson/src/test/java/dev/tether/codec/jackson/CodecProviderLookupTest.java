package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecProvider;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CodecProviderLookupTest {
  private static final MessageTypes TYPES =
      MessageTypes.builder("tether-echo").register(1, "echo.Echo", Messages.Echo.class).build();

  @Test
  void serviceLoaderShouldFindJsonAndCborByName() {
    Map<String, CodecProvider> byName =
        ServiceLoader.load(CodecProvider.class).stream()
            .map(ServiceLoader.Provider::get)
            .collect(Collectors.toMap(CodecProvider::name, Function.identity()));

    assertThat(byName).containsKeys("json", "cbor");
    assertThat(byName.get("json")).isInstanceOf(JsonCodecProvider.class);
    assertThat(byName.get("cbor")).isInstanceOf(CborCodecProvider.class);
  }

  @Test
  void createdCodecsShouldCarryTheProviderNameAndBeShared() {
    Codec json = new JsonCodecProvider().create(TYPES);
    Codec cbor = new CborCodecProvider().create(TYPES);

    assertThat(json.name()).isEqualTo("json");
    assertThat(cbor.name()).isEqualTo("cbor");
    assertThat(new JsonCodecProvider().create(TYPES)).isSameAs(json);
    assertThat(new CborCodecProvider().create(TYPES)).isSameAs(cbor);
  }
}
