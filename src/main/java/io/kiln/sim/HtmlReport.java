package io.kiln.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.codegen.CodegenResources;
import io.kiln.target.DmaEngine;
import io.kiln.target.HardwareDescription;
import java.util.Map;

/**
 * One self-contained HTML page of a simulation: the timeline as a Gantt chart (a track per
 * resource), per-layer stacked bars of cycles by unit, DMA bytes by memory pair and energy by
 * level, a roofline per unit, and the layer table. The report's JSON is embedded in the page and
 * drawn as SVG by the page's own script: no network, no library.
 */
public final class HtmlReport {
  private HtmlReport() {}

  public static String page(Simulation s, HardwareDescription hw, String model) {
    Map<String, Object> tree = SimReport.tree(s, true);
    tree.put("model", model);
    // The roofline's DMA roof: the widest engine's bytes per cycle.
    tree.put("dma_bandwidth", hw.dmas().stream().mapToDouble(DmaEngine::bandwidthBytesPerCycle).max().orElse(1));
    String json;
    try {
      json = new ObjectMapper().writeValueAsString(tree);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    // Inside a script element only "</" could end it early.
    json = json.replace("</", "<\\/");
    String template = CodegenResources.text("/io/kiln/sim/report.html");
    return template.replace("/*KILN_DATA*/", json);
  }
}
