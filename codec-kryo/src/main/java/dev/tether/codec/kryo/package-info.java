/** The {@code kryo} codec, on Kryo 5; arrives with issue 3. */
package dev.tether.codec.kryo;
