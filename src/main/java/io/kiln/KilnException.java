package io.kiln;

/**
 * An error caused by the user's input (a model, a hardware file, an input tensor) that the CLI
 * reports as one line and exit code 2; anything else escaping is a bug in Kiln.
 */
public class KilnException extends RuntimeException {
  public KilnException(String message) {
    super(message);
  }

  public KilnException(String message, Throwable cause) {
    super(message, cause);
  }
}
