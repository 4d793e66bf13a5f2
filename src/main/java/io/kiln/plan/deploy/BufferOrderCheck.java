package io.kiln.plan.deploy;

import io.kiln.plan.schedule.Transfer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The check that no buffer is overwritten before its last read, double buffers included: it
 * replays each call's program and tracks, per buffer, what data it holds (which tile's input,
 * weights, parameters, operand or partial sums) and which transfers are still in flight on it.
 * A job must find its own tile's data in every buffer it reads with no load into it pending; a
 * load may not start while a transfer still reads or writes its buffer; a write-back must find
 * the finished outputs of its tile; every transfer is waited for before the call ends.
 */
final class BufferOrderCheck {
  private BufferOrderCheck() {}

  private static final class State {
    String content = "";
    /** The (kind, tile) of the loads in flight into it: the parts of one planned transfer. */
    String loading = "";
    final Set<Integer> writing = new HashSet<>();
    final Set<Integer> reading = new HashSet<>();
  }

  static List<String> run(DeploymentPlan plan) {
    List<String> out = new ArrayList<>();
    for (Step.AcceleratorCall c : plan.calls()) {
      check(c, out);
    }
    return out;
  }

  private static void check(Step.AcceleratorCall c, List<String> out) {
    Map<Region, State> state = new HashMap<>();
    for (Step.Buffer b : c.buffers()) {
      state.put(b.region(), new State());
    }
    String where = "node " + c.node();
    for (Action a : c.program()) {
      switch (a) {
        case Action.Start s -> {
          DmaDescriptor d = s.dma();
          TileJob j = c.jobs().get(d.tile());
          boolean store = d.kind() == Transfer.Kind.OUTPUT;
          Region local = store ? d.srcExtent() : d.dstExtent();
          Region buffer = bufferOf(c, d.kind(), local);
          if (buffer == null) {
            out.add(where + " DMA " + d.id() + " moves " + local + ", which is no " + d.kind() + " buffer");
            continue;
          }
          State st = state.get(buffer);
          if (store) {
            if (!st.writing.isEmpty()) {
              out.add(where + " tile " + d.tile() + " write-back starts while a load into its buffer runs");
            }
            if (!st.content.equals(outputKey(j, true))) {
              out.add(where + " tile " + d.tile() + " writes back " + buffer + " holding '" + st.content
                  + "', not its finished outputs");
            }
            st.reading.add(d.id());
          } else {
            String part = d.kind() + " " + d.tile();
            // Several loads of one planned transfer (a tile converted to CHW channel by channel)
            // fill disjoint parts of the buffer together.
            boolean sameTransfer = st.reading.isEmpty() && !st.writing.isEmpty() && st.loading.equals(part);
            if (!sameTransfer && (!st.reading.isEmpty() || !st.writing.isEmpty())) {
              out.add(where + " tile " + d.tile() + " " + d.kind() + " load overwrites " + buffer
                  + " while transfers " + st.reading + st.writing + " still use it");
            }
            st.content = key(d.kind(), j, c.geometry().weightsPerRow());
            st.loading = part;
            st.writing.add(d.id());
          }
        }
        case Action.Wait w -> {
          for (State st : state.values()) {
            st.writing.removeAll(w.ids());
            st.reading.removeAll(w.ids());
          }
        }
        case Action.Run r -> {
          TileJob j = c.jobs().get(r.tile());
          boolean perRow = c.geometry().weightsPerRow();
          read(state, j.input(), key(Transfer.Kind.INPUT, j, perRow), where, j, out);
          j.weights().ifPresent(b -> read(state, b, key(Transfer.Kind.WEIGHTS, j, perRow), where, j, out));
          j.params().ifPresent(b -> read(state, b, key(Transfer.Kind.PARAMS, j, perRow), where, j, out));
          j.operand().filter(b -> j.lastC()).ifPresent(b -> read(state, b, key(Transfer.Kind.OPERAND, j, perRow), where, j,
              out));
          State o = state.get(j.output());
          if (o == null) {
            out.add(where + " tile " + j.tile() + " writes " + j.output() + ", which is no buffer");
            continue;
          }
          if (!o.reading.isEmpty() || !o.writing.isEmpty()) {
            out.add(where + " tile " + j.tile() + " overwrites its output buffer while write-back "
                + o.reading + " still reads it");
          }
          if (!j.firstC() && !o.content.equals(outputKey(j, false))) {
            out.add(where + " tile " + j.tile() + " continues partial sums its buffer does not hold (it holds '"
                + o.content + "')");
          }
          o.content = j.lastC() ? outputKey(j, true) : partialKey(j, j.c().end());
        }
      }
    }
    for (Map.Entry<Region, State> e : state.entrySet()) {
      if (!e.getValue().reading.isEmpty() || !e.getValue().writing.isEmpty()) {
        out.add(where + " ends with transfers on " + e.getKey() + " never waited for");
      }
    }
  }

  private static void read(Map<Region, State> state, Region b, String want, String where, TileJob j,
      List<String> out) {
    State st = state.get(b);
    if (st == null) {
      out.add(where + " tile " + j.tile() + " reads " + b + ", which is no buffer");
      return;
    }
    if (!st.writing.isEmpty()) {
      out.add(where + " tile " + j.tile() + " reads " + b + " while loads " + st.writing + " into it run");
    }
    if (!st.content.equals(want)) {
      out.add(where + " tile " + j.tile() + " reads " + b + " holding '" + st.content + "', wants '" + want + "'");
    }
  }

  private static Region bufferOf(Step.AcceleratorCall c, Transfer.Kind kind, Region local) {
    for (Step.Buffer b : c.buffers()) {
      Region r = b.region();
      if (b.role() == kind && r.memory().equals(local.memory()) && local.offset() >= r.offset()
          && local.end() <= r.end()) {
        return r;
      }
    }
    return null;
  }

  /** What a buffer holds for job {@code j}; weights per row (a matmul's batches) differ by row too. */
  private static String key(Transfer.Kind kind, TileJob j, boolean weightsPerRow) {
    return switch (kind) {
      case INPUT -> "input C" + j.c() + " rows " + j.inRows() + " cols " + j.inCols();
      case WEIGHTS -> "weights K" + j.k() + " C" + j.c() + (weightsPerRow ? " Y" + j.y() : "");
      case PARAMS -> "params K" + j.k();
      case OPERAND -> "operand K" + j.k() + " Y" + j.y() + " X" + j.x();
      case OUTPUT -> outputKey(j, true);
    };
  }

  private static String outputKey(TileJob j, boolean finished) {
    return finished ? "outputs K" + j.k() + " Y" + j.y() + " X" + j.x() : partialKey(j, j.c().start());
  }

  private static String partialKey(TileJob j, int through) {
    return "partial sums K" + j.k() + " Y" + j.y() + " X" + j.x() + " through C " + through;
  }
}
