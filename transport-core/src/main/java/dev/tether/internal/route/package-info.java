/**
 * Internal use only: routing received messages and requests to handlers by their class, behind
 * {@link dev.tether.ServerBuilder#onMessage(Class, dev.tether.TypedMessageHandler)} and its
 * siblings.
 */
package dev.tether.internal.route;
