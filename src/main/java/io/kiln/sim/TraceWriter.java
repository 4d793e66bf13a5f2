package io.kiln.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated timeline as a Chrome trace-event file (the JSON object format that Perfetto and
 * chrome://tracing load): one process for the SoC, one thread (track) per resource — the CPU,
 * each unit, each DMA channel — named by metadata events, and one complete ("X") event per
 * interval, with timestamps in microseconds at the description's clock.
 */
public final class TraceWriter {
  private TraceWriter() {}

  public static String toJson(Simulation s) {
    List<String> tracks = new ArrayList<>();
    for (Simulation.Event e : s.events()) {
      if (!tracks.contains(e.track())) {
        tracks.add(e.track());
      }
    }
    // The host first, then units, then DMA channels: the order the eye follows a call.
    tracks.sort(java.util.Comparator.comparingInt((String t) -> t.contains("#") ? 2 : 1).thenComparing(t -> t));
    List<Map<String, Object>> events = new ArrayList<>();
    events.add(meta("process_name", 0, Map.of("name", "kiln simulate " + s.target())));
    for (int i = 0; i < tracks.size(); i++) {
      events.add(meta("thread_name", i + 1, Map.of("name", tracks.get(i))));
      events.add(meta("thread_sort_index", i + 1, Map.of("sort_index", i)));
    }
    double usPerCycle = 1e6 / s.clockHz();
    for (Simulation.Event e : s.events()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", e.name());
      m.put("cat", e.category());
      m.put("ph", "X");
      m.put("pid", 0);
      m.put("tid", tracks.indexOf(e.track()) + 1);
      m.put("ts", e.start() * usPerCycle);
      m.put("dur", (e.end() - e.start()) * usPerCycle);
      Map<String, Object> args = new LinkedHashMap<>();
      args.put("step", e.step());
      args.put("layer", s.layers().get(e.step()).name());
      if (e.tile() >= 0) {
        args.put("tile", e.tile());
      }
      if (e.bytes() > 0) {
        args.put("bytes", e.bytes());
      }
      args.put("start_cycle", e.start());
      args.put("cycles", e.end() - e.start());
      m.put("args", args);
      events.add(m);
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("traceEvents", events);
    root.put("displayTimeUnit", "ns");
    try {
      return new ObjectMapper().writeValueAsString(root) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> meta(String name, int tid, Map<String, Object> args) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("ph", "M");
    m.put("pid", 0);
    m.put("tid", tid);
    m.put("args", args);
    return m;
  }
}
