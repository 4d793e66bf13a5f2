package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.interp.signal.KissFftr;
import io.kiln.interp.signal.SignalMath;
import io.kiln.ir.DType;
import io.kiln.ir.SignalOp;
import java.util.List;

/**
 * Emits the audio front-end's layers (TFLM's signal operators) as C calling the helpers of
 * {@code kiln_signal.h}. Constant tables (the FFT twiddles, the log correction) are computed
 * here and emitted as {@code const} arrays, so the C has no floating point; the noise estimate
 * lives in a static array that {@code kiln_reset()} zeroes.
 */
final class SignalEmitter {
  private SignalEmitter() {}

  static long emit(LayerContext ctx, SignalOp op, StateBlock state) {
    CSource c = ctx.src();
    int n = ctx.out().elements();
    switch (op) {
      case SignalOp.Window w -> {
        int width = ctx.in(SignalOp.Window.WEIGHTS).elements();
        ctx.beginFunction("window", new int[] {SignalOp.Window.INPUT, SignalOp.Window.WEIGHTS},
            new String[] {"x", "w"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("/* int16 * int16 fits int32; >> is arithmetic, then int16 saturation. */");
        c.line("const int32_t raw = ((int32_t)x[i] * w[i %% %d]) >> %d;", width, w.shift());
        c.line("out[i] = (int16_t)(raw < -32768 ? -32768 : raw > 32767 ? 32767 : raw);");
        c.close();
      }
      case SignalOp.FftAutoScale a -> {
        ctx.beginFunction("fft_auto_scale", new int[] {SignalOp.FftAutoScale.INPUT},
            new String[] {"x"});
        scaleBits(c, n);
        c.line("for (int i = 0; i < %d; ++i) out[i] = (int16_t)(x[i] * (1 << bits));", n);
      }
      case SignalOp.FftScaleBits b -> {
        ctx.beginFunction("fft_scale_bits", new int[] {SignalOp.FftScaleBits.INPUT},
            new String[] {"x"});
        scaleBits(c, ctx.in(SignalOp.FftScaleBits.INPUT).elements());
        c.line("out[0] = bits;");
      }
      case SignalOp.Rfft r -> rfft(ctx, r);
      case SignalOp.Energy e -> {
        ctx.beginFunction("energy", new int[] {SignalOp.Energy.INPUT}, new String[] {"x"});
        c.line("memset(out, 0, %d);", 4 * n);
        c.open("for (int i = %d; i < %d; ++i)", e.startIndex(), e.endIndex());
        c.line("/* Each square fits int32; their sum may reach 2^31, so add as uint32. */");
        c.line("out[i] = (uint32_t)((int32_t)x[2 * i] * x[2 * i]) "
            + "+ (uint32_t)((int32_t)x[2 * i + 1] * x[2 * i + 1]);");
        c.close();
      }
      case SignalOp.FilterBank f -> {
        checkFilterBank(ctx, f);
        ctx.beginFunction("filter_bank", new int[] {SignalOp.FilterBank.INPUT,
            SignalOp.FilterBank.WEIGHTS, SignalOp.FilterBank.UNWEIGHTS,
            SignalOp.FilterBank.FREQUENCY_STARTS, SignalOp.FilterBank.WEIGHT_STARTS,
            SignalOp.FilterBank.WIDTHS}, new String[] {"e", "w", "uw", "fs", "ws", "width"});
        c.line("uint64_t weighted = 0, unweighted = 0;");
        c.line("/* Channel 0 of the accumulation is scratch: each bin also feeds the next. */");
        c.open("for (int i = 0; i < %d; ++i)", f.numChannels() + 1);
        c.open("for (int j = 0; j < width[i]; ++j)");
        c.line("const uint64_t v = e[fs[i] + j];");
        c.line("weighted += (uint64_t)(int64_t)w[ws[i] + j] * v;");
        c.line("unweighted += (uint64_t)(int64_t)uw[ws[i] + j] * v;");
        c.close();
        c.line("if (i > 0) out[i - 1] = weighted;");
        c.line("weighted = unweighted;");
        c.line("unweighted = 0;");
        c.close();
      }
      case SignalOp.FilterBankSquareRoot s -> {
        ctx.beginFunction("filter_bank_sqrt", new int[] {SignalOp.FilterBankSquareRoot.INPUT,
            SignalOp.FilterBankSquareRoot.SCALE_BITS}, new String[] {"x", "bits"});
        c.line("/* The scale bits are 0..15 from the FFT's auto-scale; clamped so a shift stays"
            + " defined. */");
        c.line("const int32_t sh = bits[0] < 0 ? 0 : bits[0] > 31 ? 31 : bits[0];");
        c.line("for (int i = 0; i < %d; ++i) out[i] = kiln_sqrt64(x[i]) >> sh;", n);
      }
      case SignalOp.NoiseEstimate e -> {
        SignalMath.SpectralParams p = SignalMath.SpectralParams.of(e.config());
        String noise = state.declare(c, ctx.name("noise"),
            io.kiln.ir.OpState.of(ctx.graph(), ctx.node()).get(0));
        ctx.beginFunction("noise_estimate", new int[] {SignalOp.NoiseEstimate.INPUT},
            new String[] {"x"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("const uint64_t s = (i & 1) == 0 ? %dull : %dull;", p.smoothing(),
            p.alternateSmoothing());
        c.line("const uint64_t s1 = (i & 1) == 0 ? %dull : %dull;", p.oneMinusSmoothing(),
            p.alternateOneMinusSmoothing());
        c.line("const uint32_t signal = x[i] << %d;", p.smoothingBits());
        c.line("%s[i] = (uint32_t)(((uint64_t)signal * s + (uint64_t)%s[i] * s1) >> %d);", noise,
            noise, p.spectralSubtractionBits());
        if (p.clamping()) {
          c.line("if (%s[i] > signal) %s[i] = signal;", noise, noise);
        }
        c.line("out[i] = %s[i];", noise);
        c.close();
      }
      case SignalOp.SpectralSubtraction s -> {
        SignalMath.SpectralParams p = SignalMath.SpectralParams.of(s.config());
        ctx.beginFunction("spectral_subtraction", new int[] {SignalOp.SpectralSubtraction.INPUT,
            SignalOp.SpectralSubtraction.NOISE_ESTIMATE}, new String[] {"x", "noise"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("const uint32_t signal = x[i] << %d;", p.smoothingBits());
        c.line("const uint32_t estimate = noise[i] < signal ? noise[i] : signal;");
        c.line("const uint32_t floor_v = (uint32_t)(((uint64_t)x[i] * %dull) >> %d);",
            p.minSignalRemaining(), p.spectralSubtractionBits());
        c.line("const uint32_t sub = (signal - estimate) >> %d;", p.smoothingBits());
        c.line("out[i] = sub > floor_v ? sub : floor_v;");
        c.close();
      }
      case SignalOp.Pcan p -> {
        if (ctx.in(SignalOp.Pcan.GAIN_LUT).elements() < 125) {
          throw ctx.unsupported("a gain table of fewer than 125 entries");
        }
        ctx.beginFunction("pcan", new int[] {SignalOp.Pcan.INPUT, SignalOp.Pcan.NOISE_ESTIMATE,
            SignalOp.Pcan.GAIN_LUT}, new String[] {"x", "noise", "lut"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("/* The int16 gain converts to uint32 by sign extension, as in TFLM. */");
        c.line("const uint32_t gain = (uint32_t)(int32_t)kiln_pcan_gain(noise[i], lut);");
        c.line("out[i] = kiln_pcan_shrink((uint32_t)(((uint64_t)x[i] * gain) >> %d));",
            p.snrShift());
        c.close();
      }
      case SignalOp.FilterBankLog l -> {
        String lut = ctx.name("log_lut");
        c.line("/* log2(1 + f) - f at f = i/128, in units of 2^-16. */");
        c.array("static const uint16_t " + lut, SignalMath.logLut129());
        ctx.beginFunction("filter_bank_log", new int[] {SignalOp.FilterBankLog.INPUT},
            new String[] {"x"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("const uint32_t scaled = x[i] << %d;", l.inputCorrectionBits());
        c.line("const uint32_t v = scaled > 1 ? kiln_log32(scaled, %du, %s) : 0;",
            l.outputScale(), lut);
        c.line("out[i] = (int16_t)(v < 32767u ? v : 32767u);");
        c.close();
      }
    }
    ctx.endFunction();
    return 0;
  }

  /**
   * The C reads the bins and weights the channel tables name without checks, so the tables must
   * be constants that stay inside both arrays.
   */
  private static void checkFilterBank(LayerContext ctx, SignalOp.FilterBank f) {
    for (int slot = SignalOp.FilterBank.WEIGHTS; slot <= SignalOp.FilterBank.WIDTHS; slot++) {
      if (!ctx.graph().input(ctx.node(), slot).isConstant()) {
        throw ctx.unsupported("a computed filter-bank table (input " + slot + ")");
      }
    }
    int[] freq = ctx.constantInts(SignalOp.FilterBank.FREQUENCY_STARTS);
    int[] ws = ctx.constantInts(SignalOp.FilterBank.WEIGHT_STARTS);
    int[] widths = ctx.constantInts(SignalOp.FilterBank.WIDTHS);
    int bins = ctx.in(SignalOp.FilterBank.INPUT).elements();
    int weights = ctx.in(SignalOp.FilterBank.WEIGHTS).elements();
    for (int i = 0; i <= f.numChannels(); i++) {
      if (widths[i] < 0 || freq[i] < 0 || ws[i] < 0 || freq[i] + widths[i] > bins
          || ws[i] + widths[i] > weights) {
        throw ctx.unsupported("channel " + i + " reading outside the energy bins or weights");
      }
    }
  }

  /** Declares {@code bits}: how far the frame in {@code x} can be shifted within 15 bits. */
  private static void scaleBits(CSource c, int n) {
    c.line("int32_t max = 0;");
    c.open("for (int i = 0; i < %d; ++i)", n);
    c.line("/* As TFLM: the int16 negation of -32768 stays -32768, whose uint32 has bit 31. */");
    c.line("if (x[i] > max) max = x[i];");
    c.line("else if (-x[i] > max) max = (int16_t)-x[i];");
    c.close();
    c.line("int32_t bits = 16 - kiln_msb32((uint32_t)max) - 1;");
    c.line("if (bits < 0) bits = 0;");
  }

  private static void rfft(LayerContext ctx, SignalOp.Rfft r) {
    if (ctx.in(SignalOp.Rfft.INPUT).dtype() != DType.INT16) {
      throw ctx.unsupported(ctx.in(SignalOp.Rfft.INPUT).dtype().shortName() + " input");
    }
    CSource c = ctx.src();
    KissFftr fft = new KissFftr(r.fftLength());
    int ncfft = r.fftLength() / 2;
    String base = ctx.name("fft");
    c.line("static const int %s_factors[] = {%s};", base, join(fft.factors()));
    c.line("/* floor(0.5 + 32767 * (cos, sin)(-2 pi i / %d)) */", ncfft);
    c.line("static const kiln_cpx %s_twiddles[%d] = {%s};", base, ncfft,
        pairs(fft.twiddleRe(), fft.twiddleIm()));
    c.line("static const kiln_cpx %s_super[%d] = {%s};", base, ncfft / 2,
        pairs(fft.superTwiddleRe(), fft.superTwiddleIm()));
    c.line("static const kiln_fftr_plan %s_plan = {%d, %s_factors, %s_twiddles, %s_super};", base,
        ncfft, base, base, base);
    int rowIn = ctx.in(SignalOp.Rfft.INPUT).shape().dim(-1);
    int rowOut = ctx.out().shape().dim(-1);
    int rows = ctx.in(SignalOp.Rfft.INPUT).elements() / rowIn;
    ctx.beginFunction("rfft", new int[] {SignalOp.Rfft.INPUT}, new String[] {"x"});
    c.line("static int16_t padded[%d];", r.fftLength());
    c.line("static kiln_cpx tmp[%d];", ncfft);
    c.open("for (int row = 0; row < %d; ++row)", rows);
    c.line("memcpy(padded, x + row * %d, %d);", rowIn, 2 * rowIn);
    if (rowIn < r.fftLength()) {
      c.line("memset(padded + %d, 0, %d);", rowIn, 2 * (r.fftLength() - rowIn));
    }
    c.line("kiln_fftr(&%s_plan, padded, out + row * %d, tmp);", base, rowOut);
    c.close();
  }

  /** Scratch bytes the FFT layer keeps in static buffers (the padded frame and the work area). */
  static long rfftScratchBytes(SignalOp.Rfft r) {
    return 2L * r.fftLength() + 4L * (r.fftLength() / 2);
  }

  private static String join(int[] v) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      b.append(i > 0 ? ", " : "").append(v[i]);
    }
    return b.toString();
  }

  private static String pairs(short[] re, short[] im) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < re.length; i++) {
      b.append(i % 8 == 0 ? "\n    " : " ").append('{').append(re[i]).append(", ").append(im[i])
          .append("},");
    }
    return b.append("\n").toString();
  }
}
