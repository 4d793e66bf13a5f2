package io.kiln.quantize;

import io.kiln.InputFiles;
import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads calibration samples for a float model: raw little-endian float32 files where one sample
 * is every model input in input order, back to back, and a file holds any number of samples; a
 * directory contributes each of its regular files in name order.
 */
public final class CalibrationData {
  /** The largest calibration file read; every sample is kept in memory as float tensors. */
  static final long MAX_FILE_BYTES = 512L << 20;

  private CalibrationData() {}

  /** The samples in {@code fileOrDir}, each a list of tensors in the model's input order. */
  public static List<List<Tensor>> read(Graph g, Path fileOrDir) {
    List<Value> ins = g.inputValues();
    for (Value v : ins) {
      if (v.dtype() != DType.FLOAT32) {
        throw new KilnException("calibration needs a float model, but input '" + v.name()
            + "' is " + v.dtype().shortName());
      }
    }
    if (!Files.exists(fileOrDir)) {
      throw new KilnException("calibration file or directory not found: " + fileOrDir);
    }
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(fileOrDir)) {
      try (Stream<Path> s = Files.list(fileOrDir)) {
        s.filter(Files::isRegularFile).sorted().forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (files.isEmpty()) {
        throw new KilnException("calibration directory " + fileOrDir + " holds no files");
      }
    } else {
      files.add(fileOrDir);
    }
    List<List<Tensor>> samples = new ArrayList<>();
    for (Path f : files) {
      byte[] bytes = InputFiles.read(f, "calibration file", MAX_FILE_BYTES);
      samples.addAll(split(ins, bytes, f));
    }
    return samples;
  }

  /** Cuts one file's bytes into samples; its length must be a positive multiple of a sample. */
  static List<List<Tensor>> split(List<Value> ins, byte[] bytes, Path where) {
    long per = 0;
    for (Value v : ins) {
      per += v.type().bytes();
    }
    if (bytes.length == 0 || per == 0 || bytes.length % per != 0) {
      throw new KilnException("calibration file " + where + " has " + bytes.length
          + " bytes, not a positive multiple of one sample (" + per + " bytes: "
          + describe(ins) + " as little-endian float32)");
    }
    List<List<Tensor>> out = new ArrayList<>();
    int at = 0;
    while (at < bytes.length) {
      List<Tensor> sample = new ArrayList<>();
      for (Value v : ins) {
        int n = (int) v.type().bytes();
        sample.add(Tensor.fromBytes(DType.FLOAT32, v.shape(),
            Arrays.copyOfRange(bytes, at, at + n)));
        at += n;
      }
      out.add(sample);
    }
    return out;
  }

  private static String describe(List<Value> ins) {
    List<String> parts = new ArrayList<>();
    for (Value v : ins) {
      parts.add("'" + v.name() + "' " + v.shape());
    }
    return String.join(" + ", parts);
  }
}
