package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Reads the interpreter's bytecode and checks that the run loops of integer kernels, and every
 * Kiln method they call, execute no floating-point instruction. Quantization parameters are
 * computed with doubles at prepare time (as TFLite does); evaluation must be integer only.
 */
class IntegerKernelsUseNoFloatTest {
  /** Integer run loops, by the naming convention the kernel families follow. */
  private static final Pattern INTEGER_RUN = Pattern.compile(
      "(convInt|depthwiseInt|transposeConvInt|poolInt|runInt|unaryInt|softmaxInt8|softmaxInt16"
          + "|logisticInt8|logisticInt16|tanhInt8|tanhInt16|addSubQuantized|mulQuantized"
          + "|reluQuantized|leakyReluQuantized|rescaleInt16|requantize|lutLookup)");

  private static final List<String> KERNEL_CLASSES = List.of("ConvKernels",
      "FullyConnectedKernel", "PoolKernels", "MeanKernel", "ElementwiseKernels",
      "QuantizeKernels", "SoftmaxKernel", "ActivationKernels", "ShapeKernels");

  record MethodRef(String owner, String name, String desc) {}

  /** Per method: whether it has float instructions, and the Kiln methods it calls. */
  record MethodInfo(List<String> floatOps, Set<MethodRef> calls) {}

  private final Map<String, Map<MethodRef, MethodInfo>> classes = new HashMap<>();

  @Test
  void integerRunLoopsAreFloatFree() throws IOException {
    List<MethodRef> roots = new ArrayList<>();
    for (String c : KERNEL_CLASSES) {
      for (MethodRef m : load("io/kiln/interp/" + c).keySet()) {
        if (INTEGER_RUN.matcher(m.name()).matches()) {
          roots.add(m);
        }
      }
    }
    assertThat(roots).as("integer run loops found by name").hasSizeGreaterThan(15);
    List<String> violations = new ArrayList<>();
    Set<MethodRef> seen = new HashSet<>();
    Deque<MethodRef> work = new ArrayDeque<>(roots);
    while (!work.isEmpty()) {
      MethodRef m = work.pop();
      if (!seen.add(m)) {
        continue;
      }
      MethodInfo info = load(m.owner()).get(m);
      if (info == null) {
        continue; // inherited or synthetic accessor; records' accessors hold no arithmetic
      }
      for (String op : info.floatOps()) {
        violations.add(m.owner() + "." + m.name() + m.desc() + ": " + op);
      }
      work.addAll(info.calls());
    }
    assertThat(violations).as("floating point reachable from integer run loops %s", roots)
        .isEmpty();
    assertThat(seen.size()).isGreaterThan(roots.size());
  }

  private Map<MethodRef, MethodInfo> load(String internalName) throws IOException {
    Map<MethodRef, MethodInfo> known = classes.get(internalName);
    if (known != null) {
      return known;
    }
    Map<MethodRef, MethodInfo> methods = new HashMap<>();
    classes.put(internalName, methods);
    try (InputStream in = getClass().getClassLoader()
        .getResourceAsStream(internalName + ".class")) {
      if (in == null) {
        return methods;
      }
      new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
        @Override
        public MethodVisitor visitMethod(int access, String name, String desc, String sig,
            String[] exceptions) {
          List<String> floatOps = new ArrayList<>();
          Set<MethodRef> calls = new HashSet<>();
          methods.put(new MethodRef(internalName, name, desc), new MethodInfo(floatOps, calls));
          return new MethodVisitor(Opcodes.ASM9) {
            @Override
            public void visitInsn(int opcode) {
              if (isFloatOpcode(opcode)) {
                floatOps.add("opcode " + opcode);
              }
            }

            @Override
            public void visitVarInsn(int opcode, int var) {
              if (opcode == Opcodes.FLOAD || opcode == Opcodes.DLOAD || opcode == Opcodes.FSTORE
                  || opcode == Opcodes.DSTORE) {
                floatOps.add("float local (opcode " + opcode + ")");
              }
            }

            @Override
            public void visitLdcInsn(Object value) {
              if (value instanceof Float || value instanceof Double) {
                floatOps.add("float constant " + value);
              }
            }

            @Override
            public void visitMethodInsn(int opcode, String owner, String mname, String mdesc,
                boolean itf) {
              Type ret = Type.getReturnType(mdesc);
              if (ret == Type.FLOAT_TYPE || ret == Type.DOUBLE_TYPE) {
                floatOps.add("call returning float: " + owner + "." + mname);
              }
              if (owner.startsWith("io/kiln/")) {
                calls.add(new MethodRef(owner, mname, mdesc));
              }
            }

            @Override
            public void visitInvokeDynamicInsn(String iname, String idesc, Handle bsm,
                Object... args) {
              for (Object a : args) {
                if (a instanceof Handle h && h.getOwner().startsWith("io/kiln/")) {
                  calls.add(new MethodRef(h.getOwner(), h.getName(), h.getDesc()));
                }
              }
            }
          };
        }
      }, ClassReader.SKIP_DEBUG);
    }
    return methods;
  }

  private static boolean isFloatOpcode(int op) {
    return switch (op) {
      case Opcodes.FCONST_0, Opcodes.FCONST_1, Opcodes.FCONST_2, Opcodes.DCONST_0,
          Opcodes.DCONST_1, Opcodes.FADD, Opcodes.DADD, Opcodes.FSUB, Opcodes.DSUB,
          Opcodes.FMUL, Opcodes.DMUL, Opcodes.FDIV, Opcodes.DDIV, Opcodes.FREM, Opcodes.DREM,
          Opcodes.FNEG, Opcodes.DNEG, Opcodes.I2F, Opcodes.I2D, Opcodes.L2F, Opcodes.L2D,
          Opcodes.F2I, Opcodes.F2L, Opcodes.F2D, Opcodes.D2I, Opcodes.D2L, Opcodes.D2F,
          Opcodes.FCMPL, Opcodes.FCMPG, Opcodes.DCMPL, Opcodes.DCMPG, Opcodes.FALOAD,
          Opcodes.DALOAD, Opcodes.FASTORE, Opcodes.DASTORE, Opcodes.FRETURN,
          Opcodes.DRETURN -> true;
      default -> false;
    };
  }
}
