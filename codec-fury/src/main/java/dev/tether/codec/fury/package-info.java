/** The {@code fury} codec, on Apache Fory; arrives with issue 3. */
package dev.tether.codec.fury;
