package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * Writes a {@link ZonedDateTime} as its local date and time, its offset and its zone id, and reads
 * back exactly that value. Kryo's own serializer leaves the offset out and rebuilds the value with
 * {@code ZonedDateTime.of(date, time, zone)}, which in a daylight-saving overlap picks the earlier
 * offset: 02:30+01:00 in Paris on the last Sunday of October came back as 02:30+02:00, an hour
 * earlier, with no error.
 *
 * <pre>
 * year : varint      month, day : byte each      hour, minute, second : byte each
 * nano : varint      offset : int, total seconds, zig-zag varint      zone id : string
 * </pre>
 *
 * <p>A payload whose offset is not valid for its zone at that local time fails to decode ({@code
 * ZonedDateTime.ofStrict}); no encoder writes one.
 *
 * <p>This class is thread safe; it keeps no state.
 */
final class ZonedDateTimeSerializer extends Serializer<ZonedDateTime> {
  ZonedDateTimeSerializer() {
    super(false, true);
  }

  @Override
  public void write(Kryo kryo, Output output, ZonedDateTime value) {
    LocalDateTime local = value.toLocalDateTime();
    output.writeInt(local.getYear(), true);
    output.writeByte(local.getMonthValue());
    output.writeByte(local.getDayOfMonth());
    output.writeByte(local.getHour());
    output.writeByte(local.getMinute());
    output.writeByte(local.getSecond());
    output.writeInt(local.getNano(), true);
    output.writeInt(value.getOffset().getTotalSeconds(), false);
    output.writeString(value.getZone().getId());
  }

  @Override
  public ZonedDateTime read(Kryo kryo, Input input, Class<? extends ZonedDateTime> type) {
    try {
      LocalDate date = LocalDate.of(input.readInt(true), input.readByte(), input.readByte());
      LocalTime time =
          LocalTime.of(input.readByte(), input.readByte(), input.readByte(), input.readInt(true));
      ZoneOffset offset = ZoneOffset.ofTotalSeconds(input.readInt(false));
      ZoneId zone = ZoneId.of(input.readString());
      return ZonedDateTime.ofStrict(LocalDateTime.of(date, time), offset, zone);
    } catch (DateTimeException e) {
      throw new KryoException("not a valid ZonedDateTime: " + e.getMessage(), e);
    }
  }
}
