package io.kiln.sim;

import io.kiln.KilnException;

/** A plan the simulator cannot execute: an access outside a memory, a wrong output byte. */
public final class SimulationException extends KilnException {
  public SimulationException(String message) {
    super(message);
  }
}
