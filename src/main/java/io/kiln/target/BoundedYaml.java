package io.kiln.target;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.kiln.InputFiles;
import io.kiln.KilnException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads untrusted YAML into a Jackson tree within limits that hold while reading: the file's
 * size before a byte is read, then nesting depth, anchors and aliases, and a single document in
 * one streaming pass before any tree is built.
 */
final class BoundedYaml {
  /** The largest hardware file read, in bytes; the presets are a few kB. */
  public static final int MAX_BYTES = 1 << 20;
  /** The deepest nesting of mappings and lists; the format itself needs five levels. */
  public static final int MAX_DEPTH = 32;

  private static final YAMLMapper MAPPER = YAMLMapper.builder(YAMLFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .loaderOptions(loaderOptions())
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 1)
              .maxStringLength(MAX_BYTES).maxDocumentLength(MAX_BYTES).build())
          .build())
      .build();

  private BoundedYaml() {}

  /** SnakeYAML's own limits, as a second line behind the checks in {@link #parse}. */
  private static LoaderOptions loaderOptions() {
    LoaderOptions o = new LoaderOptions();
    o.setCodePointLimit(MAX_BYTES);
    o.setNestingDepthLimit(MAX_DEPTH);
    o.setMaxAliasesForCollections(0);
    o.setAllowRecursiveKeys(false);
    return o;
  }

  /** Reads a YAML file of at most {@link #MAX_BYTES} bytes; {@code what} names its role. */
  static JsonNode read(Path file, String what) {
    byte[] bytes = InputFiles.read(file, MAX_BYTES,
        reason -> file + ": cannot read " + what + ": it " + reason);
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new KilnException(file + ": cannot read " + what + " (not UTF-8 text)");
    }
    return parse(text, file.toString());
  }

  /**
   * Parses YAML text into a tree; {@code source} names it in error messages. The text must be
   * one document of at most {@link #MAX_BYTES} characters, nested at most {@link #MAX_DEPTH}
   * deep, without anchors or aliases (which would let a small file expand into a huge tree).
   */
  static JsonNode parse(String yaml, String source) {
    if (yaml.length() > MAX_BYTES) {
      throw new KilnException(source + ": " + yaml.length() + " characters is too long; the"
          + " limit is " + MAX_BYTES);
    }
    try {
      checkStructure(yaml, source);
      return MAPPER.readTree(yaml);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where = loc == null || loc.getLineNr() < 1 ? ""
          : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
      String problem = e.getOriginalMessage().lines().findFirst().orElse("").strip();
      throw new KilnException(source + ": " + where + "not valid YAML: " + problem, e);
    } catch (IOException e) {
      throw new KilnException(source + ": not valid YAML: " + e.getMessage(), e);
    } catch (KilnException e) {
      throw e;
    } catch (RuntimeException e) {
      // SnakeYAML reports its own limits (and some malformed input) as unchecked exceptions.
      String problem = String.valueOf(e.getMessage()).lines().findFirst().orElse("").strip();
      throw new KilnException(source + ": not valid YAML: " + problem, e);
    }
  }

  /**
   * One streaming pass over the tokens, before any tree is built: nesting depth, anchors and
   * aliases, and a single document.
   */
  private static void checkStructure(String yaml, String source) throws IOException {
    try (YAMLParser p = (YAMLParser) MAPPER.getFactory().createParser(yaml)) {
      int depth = 0;
      boolean rootDone = false;
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (rootDone) {
          throw new KilnException(source + ": line " + p.currentLocation().getLineNr()
              + ": a hardware description is one YAML document; this file has more");
        }
        if (p.isCurrentAlias() || p.getObjectId() != null) {
          throw new KilnException(source + ": line " + p.currentLocation().getLineNr()
              + ": YAML anchors and aliases are not allowed in a hardware description");
        }
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          if (++depth > MAX_DEPTH) {
            throw new KilnException(source + ": line " + p.currentLocation().getLineNr()
                + ": nested deeper than " + MAX_DEPTH + " levels");
          }
        } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
          depth--;
        }
        rootDone = depth == 0 && t != JsonToken.FIELD_NAME;
      }
    }
  }}
