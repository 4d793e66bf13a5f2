package io.kiln.plan.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Lifetimes derived from small hand-built graphs. */
class LifetimesTest {
  private static final Quantization Q = Quantization.perTensor(0.5, 0);

  private static TensorType i8(int... dims) {
    return TensorType.quantized(DType.INT8, Shape.of(dims), 0.5, 0);
  }

  private static int relu(GraphBuilder b, int in, String name) {
    return b.apply(new Op.Relu(), List.of(in), name, DType.INT8, Q);
  }

  private static int reshape(GraphBuilder b, int in, String name, int... dims) {
    return b.apply(new Op.Reshape(Shape.of(dims)), List.of(in), name, DType.INT8, Q);
  }

  @Test
  void chainLivesFromWriterToLastReader() {
    GraphBuilder b = new GraphBuilder("chain");
    int x = b.input("x", i8(1, 10));
    int a = relu(b, x, "a");
    int y = relu(b, a, "y");
    b.output(y);
    assertThat(Lifetimes.of(b.build())).containsExactly(Lifetime.of(x, "x", 10, 0, 0),
        Lifetime.of(a, "a", 10, 0, 1), Lifetime.of(y, "y", 10, 1, 1));
  }

  @Test
  void residualSkipLivesUntilTheAddAndConstantsAreNotBuffers() {
    GraphBuilder b = new GraphBuilder("residual");
    int x = b.input("x", i8(1, 4, 4, 2));
    int w = b.constant("w", new TensorType(DType.INT8, Shape.of(2, 1, 1, 2), Q),
        ConstData.ofInts(DType.INT8, new int[4]));
    int h = b.apply(new Op.Conv2D(1, 1, 1, 1, Op.Pads.NONE, Op.Activation.NONE),
        List.of(x, w, Node.ABSENT), "h", DType.INT8, Q);
    int h2 = relu(b, h, "h2");
    int y = b.apply(new Op.Add(Op.Activation.NONE), List.of(x, h2), "y", DType.INT8, Q);
    int z = relu(b, y, "z");
    b.output(z);
    List<Lifetime> ls = Lifetimes.of(b.build());
    assertThat(ls).extracting(Lifetime::name).containsExactly("x", "h", "h2", "y", "z");
    assertThat(ls.get(0)).isEqualTo(Lifetime.of(x, "x", 32, 0, 2));
    assertThat(ls.get(3)).isEqualTo(Lifetime.of(y, "y", 32, 2, 3));
    // Step 2 (the add) holds x, h2 and y.
    assertThat(LowerBound.of(ls, 1)).isEqualTo(96);
    assertThat(new GreedyPlanner().plan(ls, 1).arenaBytes()).isEqualTo(96);
  }

  @Test
  void reshapeOutputAliasesItsInput() {
    GraphBuilder b = new GraphBuilder("reshape");
    int x = b.input("x", i8(1, 2, 2, 4));
    int a = relu(b, x, "a");
    int r = reshape(b, a, "r", 1, 16);
    int y = relu(b, r, "y");
    b.output(y);
    List<Lifetime> ls = Lifetimes.of(b.build());
    assertThat(ls).contains(Lifetime.of(a, "a", 16, 0, 1),
        new Lifetime(r, "r", 16, 1, 2, OptionalInt.of(a)));
    // Without the alias the reshape step would hold a and r: 32 bytes.
    assertThat(LowerBound.of(ls, 1)).isEqualTo(32); // step 2: the group and y; step 0: x and a
    MemoryPlan p = new GreedyPlanner().plan(ls, 1);
    assertThat(p.offset(r)).isEqualTo(p.offset(a));
    assertThat(PlanChecker.check(ls, p, 1)).isEmpty();
  }

  @Test
  void aliasSavesTheCopyAtTheReshapeStep() {
    GraphBuilder b = new GraphBuilder("big_reshape");
    int x = b.input("x", i8(1, 4));
    int a = b.apply(new Op.Pad(List.of(0, 0), List.of(0, 96)), List.of(x), "a", DType.INT8, Q);
    int r = reshape(b, a, "r", 10, 10);
    int y = b.apply(new Op.Mean(List.of(1), false), List.of(r), "y", DType.INT8, Q);
    b.output(y);
    List<Lifetime> ls = Lifetimes.of(b.build());
    // Step 1 would need a and r (200 bytes) without aliasing; with it, 100 bytes plus y's 10.
    assertThat(LowerBound.of(ls, 1)).isEqualTo(110);
    assertThat(new GreedyPlanner().plan(ls, 1).arenaBytes()).isEqualTo(110);
  }

  @Test
  void graphInputAndGraphOutputNeverShareAGroup() {
    GraphBuilder b = new GraphBuilder("bare_reshape");
    int x = b.input("x", i8(1, 8));
    int r1 = reshape(b, x, "r1", 2, 4);
    int r2 = reshape(b, r1, "r2", 8);
    b.output(r2);
    List<Lifetime> ls = Lifetimes.of(b.build());
    // r1 may join x's group; r2 is an output, and joining would make it the input's bytes.
    assertThat(ls).containsExactly(Lifetime.of(x, "x", 8, 0, 0),
        new Lifetime(r1, "r1", 8, 0, 1, OptionalInt.of(x)), Lifetime.of(r2, "r2", 8, 1, 1));
  }

  @Test
  void outputsLiveToTheEndAndDeadValuesOnlyDuringTheirStep() {
    GraphBuilder b = new GraphBuilder("outputs");
    int x = b.input("x", i8(1, 4));
    int unused = b.input("unused", i8(1, 3));
    int early = relu(b, x, "early");
    int dead = relu(b, x, "dead");
    int last = relu(b, early, "last");
    b.output(early);
    b.output(last);
    assertThat(Lifetimes.of(b.build())).containsExactly(Lifetime.of(x, "x", 4, 0, 1),
        Lifetime.of(unused, "unused", 3, 0, 0), Lifetime.of(early, "early", 4, 0, 2),
        Lifetime.of(dead, "dead", 4, 1, 1), Lifetime.of(last, "last", 4, 2, 2));
  }

  @Test
  void reshapeOfAConstantCopiesIntoTheArena() {
    GraphBuilder b = new GraphBuilder("const_reshape");
    int c = b.constant("c", i8(1, 4), ConstData.ofInts(DType.INT8, new int[4]));
    int r = reshape(b, c, "r", 4);
    b.output(r);
    assertThat(Lifetimes.of(b.build())).containsExactly(Lifetime.of(r, "r", 4, 0, 0));
  }

  @Test
  void readingAValueBeforeItIsWrittenIsRejected() {
    GraphBuilder b = new GraphBuilder("bad_order");
    int x = b.input("x", i8(1, 4));
    int later = b.value("later", i8(1, 4));
    int y = b.value("y", i8(1, 4));
    b.node(new Op.Relu(), List.of(later), List.of(y));
    b.node(new Op.Relu(), List.of(x), List.of(later));
    b.output(y);
    Graph g = b.build();
    assertThatThrownBy(() -> Lifetimes.of(g)).hasMessageContaining("'later' is read at step 0");
  }

  @Test
  void nodesSharingAStepRunAsOneCallAndOnChipValuesTakeNoBuffer() {
    // relu a, then a "fused" pair (relu h of a, add y of h and x) in one call at step 1, then z.
    GraphBuilder b = new GraphBuilder("fused");
    int x = b.input("x", i8(1, 8));
    int a = relu(b, x, "a");
    int h = relu(b, a, "h");
    int y = b.apply(new Op.Add(Op.Activation.NONE), List.of(x, h), "y", DType.INT8, Q);
    int z = relu(b, y, "z");
    b.output(z);
    List<Lifetime> ls = Lifetimes.of(b.build(), new int[] {0, 1, 1, 2}, java.util.Set.of(h));
    // h never reaches the arena; y is written while a and x are still read by the same call.
    assertThat(ls).containsExactly(Lifetime.of(x, "x", 8, 0, 1), Lifetime.of(a, "a", 8, 0, 1),
        Lifetime.of(y, "y", 8, 1, 2), Lifetime.of(z, "z", 8, 2, 2));
  }

  @Test
  void stepsMustNotGoBackwards() {
    GraphBuilder b = new GraphBuilder("chain");
    int x = b.input("x", i8(1, 4));
    int a = relu(b, x, "a");
    b.output(relu(b, a, "y"));
    Graph g = b.build();
    assertThatThrownBy(() -> Lifetimes.of(g, new int[] {1, 0}, java.util.Set.of()))
        .hasMessageContaining("before node 0");
    assertThatThrownBy(() -> Lifetimes.of(g, new int[] {0}, java.util.Set.of()))
        .hasMessageContaining("1 steps for 2 nodes");
  }
}
