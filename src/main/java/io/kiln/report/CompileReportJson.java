package io.kiln.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The JSON form of a {@link CompileReport}, for tools: the records' components in declaration
 * order with snake_case names ({@code arena_lower_bound_bytes}), absent values as explicit nulls
 * so every field is always present. The field names are part of Kiln's interface (README).
 */
public final class CompileReportJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT);

  private CompileReportJson() {}

  public static String render(CompileReport r) {
    try {
      return MAPPER.writeValueAsString(r) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the compile report", e);
    }
  }
}
