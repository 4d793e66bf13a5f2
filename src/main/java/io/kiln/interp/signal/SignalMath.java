package io.kiln.interp.signal;

/**
 * The fixed-point arithmetic of TFLM's audio front-end (its {@code signal/src} library), as plain
 * loops over Java arrays. uint32 values travel as the raw bits of an {@code int} and uint64 as
 * the raw bits of a {@code long}; every unsigned comparison, division-free shift and widening is
 * spelled out, because C's unsigned wrap-around is part of the results being reproduced.
 */
public final class SignalMath {
  private SignalMath() {}

  private static final long U32 = 0xFFFF_FFFFL;

  /** Most significant set bit, 1-based, as TFLM's GCC build computes it: 32 for zero. */
  public static int msb32(int x) {
    return x == 0 ? 32 : 32 - Integer.numberOfLeadingZeros(x);
  }

  /** As {@link #msb32}, 64 for zero. */
  public static int msb64(long x) {
    return x == 0 ? 64 : 64 - Long.numberOfLeadingZeros(x);
  }

  /** {@code (x * w) >> shift} per sample, saturated to int16; the window repeats. */
  public static void window(int[] in, int[] window, int shift, int[] out) {
    for (int i = 0; i < in.length; i++) {
      // int16 * int16 fits in int32; the shift is arithmetic like C's on a signed int.
      int raw = (in[i] * window[i % window.length]) >> shift;
      out[i] = Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, raw));
    }
  }

  /** How far the frame can be shifted left so its largest magnitude still fits 15 bits. */
  public static int fftScaleBits(int[] in) {
    int max = 0;
    for (int v : in) {
      // C negates the int16 in int arithmetic and stores back to int16: -(-32768) stays -32768,
      // whose uint32 view has bit 31 set, so the scale is 0 as for 32768.
      if (v > max) {
        max = v;
      } else if (-v > max) {
        max = (short) -v;
      }
    }
    int bits = 16 - msb32(max) - 1;
    return Math.max(bits, 0);
  }

  public static void fftAutoScale(int[] in, int scaleBits, int[] out) {
    for (int i = 0; i < in.length; i++) {
      out[i] = (short) (in[i] * (1 << scaleBits));
    }
  }

  /** real^2 + imag^2 of bins [start, end) of interleaved (real, imag) pairs, in uint32 bits. */
  public static void energy(int[] spectrum, int start, int end, int[] out) {
    java.util.Arrays.fill(out, 0);
    for (int i = start; i < end; i++) {
      int re = spectrum[2 * i];
      int im = spectrum[2 * i + 1];
      // Two int16 squares sum to at most 2^31, which wraps in int32 to the same uint32 bits.
      out[i] = re * re + im * im;
    }
  }

  /**
   * The mel filter bank: channel i accumulates weight * energy over its bins, and the next
   * channel accumulates (unweight * energy) over the same bins; element 0 of the accumulation is
   * scratch and dropped. Products and sums are uint64 (wrapping, like C).
   */
  public static void filterBank(int[] energy, int[] weights, int[] unweights, int[] freqStarts,
      int[] weightStarts, int[] widths, int numChannels, long[] out) {
    long weighted = 0;
    long unweighted = 0;
    for (int i = 0; i < numChannels + 1; i++) {
      int freq = freqStarts[i];
      int ws = weightStarts[i];
      for (int j = 0; j < widths[i]; j++) {
        long e = Integer.toUnsignedLong(energy[freq + j]);
        // An int16 weight converts to uint64 by sign extension; the product wraps mod 2^64.
        weighted += (long) weights[ws + j] * e;
        unweighted += (long) unweights[ws + j] * e;
      }
      if (i > 0) {
        out[i - 1] = weighted;
      }
      weighted = unweighted;
      unweighted = 0;
    }
  }

  /** Integer square root of a uint32, rounded up when the remainder exceeds the root. */
  public static int sqrt32(int num) {
    long n = Integer.toUnsignedLong(num);
    if (n == 0) {
      return 0;
    }
    long res = 0;
    int maxBit = (32 - msb32(num)) | 1;
    long bit = 1L << (31 - maxBit);
    int iterations = (31 - maxBit) / 2 + 1;
    while (iterations-- > 0) {
      if (n >= res + bit) {
        n -= res + bit;
        res = (res >>> 1) + bit;
      } else {
        res >>>= 1;
      }
      bit >>>= 2;
    }
    if (n > res && res != 0xFFFF) {
      res++;
    }
    return (int) (res & 0xFFFF);
  }

  /** Integer square root of a uint64; inputs below 2^32 take the 32-bit path, as in TFLM. */
  public static int sqrt64(long num) {
    if (num >>> 32 == 0) {
      return sqrt32((int) num);
    }
    long res = 0;
    int maxBit = (64 - msb64(num)) | 1;
    long bit = 1L << (63 - maxBit);
    int iterations = (63 - maxBit) / 2 + 1;
    while (iterations-- > 0) {
      if (Long.compareUnsigned(num, res + bit) >= 0) {
        num -= res + bit;
        res = (res >>> 1) + bit;
      } else {
        res >>>= 1;
      }
      bit >>>= 2;
    }
    if (Long.compareUnsigned(num, res) > 0 && res != U32) {
      res++;
    }
    return (int) res;
  }

  public static void filterBankSqrt(long[] in, int scaleBits, int[] out) {
    for (int i = 0; i < in.length; i++) {
      out[i] = sqrt64(in[i]) >>> scaleBits;
    }
  }

  /** Updates {@code noise} (uint32 bits) in place from this frame's channel energies. */
  public static void noiseEstimate(SpectralParams p, int[] in, int[] noise) {
    for (int i = 0; i < in.length; i++) {
      boolean even = (i & 1) == 0;
      long smoothing = even ? p.smoothing() : p.alternateSmoothing();
      long oneMinus = even ? p.oneMinusSmoothing() : p.alternateOneMinusSmoothing();
      long signal = Integer.toUnsignedLong(in[i] << p.smoothingBits());
      // uint64 sum of two uint32 x uint32 products, shifted; C keeps the low 32 bits.
      long next = (signal * smoothing + Integer.toUnsignedLong(noise[i]) * oneMinus)
          >>> p.spectralSubtractionBits();
      noise[i] = (int) next;
      if (p.clamping() && Integer.toUnsignedLong(noise[i]) > signal) {
        noise[i] = (int) signal;
      }
    }
  }

  /** TFLM's spectral-subtraction output from the input and the already updated estimate. */
  public static void spectralSubtraction(SpectralParams p, int[] in, int[] noise, int[] out) {
    for (int i = 0; i < in.length; i++) {
      long signal = Integer.toUnsignedLong(in[i] << p.smoothingBits());
      long estimate = Math.min(Integer.toUnsignedLong(noise[i]), signal);
      long floor = ((Integer.toUnsignedLong(in[i]) * p.minSignalRemaining())
          >>> p.spectralSubtractionBits()) & U32;
      long subtracted = (signal - estimate) >>> p.smoothingBits();
      out[i] = (int) Math.max(subtracted, floor);
    }
  }

  /** The spectral subtraction constants, unsigned values widened to long. */
  public record SpectralParams(long smoothing, long oneMinusSmoothing, long alternateSmoothing,
      long alternateOneMinusSmoothing, long minSignalRemaining, int smoothingBits,
      int spectralSubtractionBits, boolean clamping) {

    public static SpectralParams of(io.kiln.ir.SignalOp.SpectralConfig c) {
      return new SpectralParams(c.smoothing(), c.oneMinusSmoothing(), c.alternateSmoothing(),
          c.alternateOneMinusSmoothing(), c.minSignalRemaining(), c.smoothingBits(),
          c.spectralSubtractionBits(), c.clamping());
    }
  }

  private static final int PCAN_SNR_BITS = 12;
  private static final int PCAN_OUTPUT_BITS = 6;

  /** PCAN's gain for a noise estimate: a piecewise quadratic looked up per octave. */
  public static int wideDynamicFunction(int x, int[] lut) {
    long ux = Integer.toUnsignedLong(x);
    if (ux <= 2) {
      return lut[(int) ux];
    }
    int interval = msb32(x);
    int base = 4 * interval - 6;
    int frac = (int) ((interval < 11 ? ux << (11 - interval) : ux >>> (interval - 11)) & 0x3FF);
    int result = (lut[base + 2] * frac) >> 5;
    result += lut[base + 1] << 5;
    result *= frac;
    result = (result + (1 << 14)) >> 15;
    result += lut[base];
    return (short) result;
  }

  /** x^2/4 below 2, x - 1 above, from 12 to 6 fractional bits. */
  public static int pcanShrink(int x) {
    long ux = Integer.toUnsignedLong(x);
    if (ux < (2L << PCAN_SNR_BITS)) {
      return (int) ((ux * ux) >>> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS));
    }
    return (int) ((ux >>> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1 << PCAN_OUTPUT_BITS));
  }

  public static void pcan(int[] in, int[] noise, int[] gainLut, int snrShift, int[] out) {
    for (int i = 0; i < in.length; i++) {
      // The int16 gain converts to uint32 by sign extension, as C does.
      long gain = Integer.toUnsignedLong(wideDynamicFunction(noise[i], gainLut));
      long snr = ((Integer.toUnsignedLong(in[i]) * gain) >>> snrShift) & U32;
      out[i] = pcanShrink((int) snr);
    }
  }

  private static final int LOG_SCALE_BITS = 16;
  private static final int LOG_SEGMENTS_BITS = 7;
  private static final int LOG_COEFF = 45426; // round(2^16 * ln 2)
  /** The correction log2(1 + f) - f at 129 points of f in [0, 1], in units of 2^-16. */
  private static final int[] LOG_LUT = logLut();

  private static int[] logLut() {
    int segments = 1 << LOG_SEGMENTS_BITS;
    int[] lut = new int[segments + 1];
    for (int i = 0; i <= segments; i++) {
      double f = (double) i / segments;
      lut[i] = (int) Math.round((1 << LOG_SCALE_BITS) * (Math.log1p(f) / Math.log(2) - f));
    }
    return lut;
  }

  /** The log correction table (shared with the C generator so both use the same numbers). */
  public static int[] logLut129() {
    return LOG_LUT.clone();
  }

  private static long log2Fraction(long x, int log2x) {
    int frac = (int) (x - (1L << log2x));
    if (log2x < LOG_SCALE_BITS) {
      frac <<= LOG_SCALE_BITS - log2x;
    } else {
      frac >>= log2x - LOG_SCALE_BITS;
    }
    int seg = frac >>> (LOG_SCALE_BITS - LOG_SEGMENTS_BITS);
    int segUnit = (1 << LOG_SCALE_BITS) >> LOG_SEGMENTS_BITS;
    int c0 = LOG_LUT[seg];
    int c1 = LOG_LUT[seg + 1];
    int relPos = ((c1 - c0) * (frac - segUnit * seg)) >> LOG_SCALE_BITS;
    return Integer.toUnsignedLong(frac + c0 + relPos);
  }

  /** Fixed-point natural log of a uint32 (> 1) times {@code outScale} / 2^16... rounded. */
  public static long log32(int x, int outScale) {
    int integer = msb32(x) - 1;
    long fraction = log2Fraction(Integer.toUnsignedLong(x), integer);
    long log2 = ((Integer.toUnsignedLong(integer) << LOG_SCALE_BITS) + fraction) & U32;
    long round = 1 << (LOG_SCALE_BITS - 1);
    long loge = ((LOG_COEFF * log2 + round) >>> LOG_SCALE_BITS) & U32;
    // out_scale * loge is a uint32 product in C: it wraps.
    long scaled = ((Integer.toUnsignedLong(outScale) * loge) & U32) + round;
    return (scaled & U32) >>> LOG_SCALE_BITS;
  }

  public static void filterBankLog(int[] in, int correctionBits, int outScale, int[] out) {
    for (int i = 0; i < in.length; i++) {
      int scaled = in[i] << correctionBits;
      if (Integer.toUnsignedLong(scaled) > 1) {
        out[i] = (int) Math.min(log32(scaled, outScale), Short.MAX_VALUE);
      } else {
        out[i] = 0;
      }
    }
  }
}
