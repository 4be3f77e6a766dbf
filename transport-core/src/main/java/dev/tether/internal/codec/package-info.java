/** Internal use only: codecs built into transport-core. */
package dev.tether.internal.codec;
