package io.kiln.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Turns I/O exceptions on the user's files into messages that say what went wrong where. */
final class IoErrors {
  private IoErrors() {}

  static String describe(IOException e) {
    return switch (e) {
      case NoSuchFileException n -> "no such file or directory: " + n.getFile();
      case AccessDeniedException a -> "permission denied: " + a.getFile();
      case NotDirectoryException n -> "not a directory: " + n.getFile();
      case FileAlreadyExistsException f -> "exists and is not a directory: " + f.getFile();
      case DirectoryNotEmptyException d -> "directory not empty: " + d.getFile();
      case FileSystemException f -> f.getFile() + ": " + Main.oneLine(
          f.getReason() != null ? f.getReason() : String.valueOf(f.getMessage()));
      default -> Main.oneLine(e.getMessage() != null ? e.getMessage() : e.toString());
    };
  }
}
