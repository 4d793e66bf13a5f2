package io.kiln.interp.signal;

/**
 * The 16-bit fixed-point real FFT that TFLM's {@code SignalRfft} runs: kiss_fft (v1.3.0) in its
 * {@code FIXED_POINT=16} configuration. The real input of length N is packed into N/2 complex
 * values, transformed by a mixed-radix decimation-in-time complex FFT that divides by the radix
 * at every stage (so nothing overflows and the output is the spectrum over N), then split into
 * the N/2+1 bins of the real spectrum. Every rounding follows kiss_fft's macros: products are
 * int32, rounded by {@code (x + 2^14) >> 15} and truncated to int16; sums truncate to int16.
 * The twiddles are {@code floor(0.5 + 32767 * cos/sin(phase))}, computed once per plan; the C
 * generator emits the same tables, so it needs no floating point.
 */
public final class KissFftr {
  private static final int SAMP_MAX = 32767;

  private final int nfft;
  private final int ncfft;
  /** The factor list of ncfft as (radix, remaining length) pairs, kiss_fft's order. */
  private final int[] factors;
  private final short[] twiddleRe;
  private final short[] twiddleIm;
  private final short[] superRe;
  private final short[] superIm;

  public KissFftr(int nfft) {
    if (nfft < 4 || (nfft & 1) != 0) {
      throw new IllegalArgumentException("real FFT length " + nfft + " must be even and >= 4");
    }
    this.nfft = nfft;
    this.ncfft = nfft / 2;
    this.factors = factor(ncfft);
    twiddleRe = new short[ncfft];
    twiddleIm = new short[ncfft];
    for (int i = 0; i < ncfft; i++) {
      double phase = -2 * Math.PI * i / ncfft;
      twiddleRe[i] = fixed(StrictMath.cos(phase));
      twiddleIm[i] = fixed(StrictMath.sin(phase));
    }
    superRe = new short[ncfft / 2];
    superIm = new short[ncfft / 2];
    for (int i = 0; i < ncfft / 2; i++) {
      double phase = -Math.PI * ((double) (i + 1) / ncfft + 0.5);
      superRe[i] = fixed(StrictMath.cos(phase));
      superIm[i] = fixed(StrictMath.sin(phase));
    }
  }

  private static short fixed(double v) {
    return (short) Math.floor(0.5 + SAMP_MAX * v);
  }

  /** kiss_fft's factorization: fours first, then twos, then odd primes. */
  static int[] factor(int n) {
    int[] buf = new int[64];
    int k = 0;
    int p = 4;
    double floorSqrt = Math.floor(Math.sqrt(n));
    do {
      while (n % p != 0) {
        p = switch (p) {
          case 4 -> 2;
          case 2 -> 3;
          default -> p + 2;
        };
        if (p > floorSqrt) {
          p = n;
        }
      }
      n /= p;
      buf[k++] = p;
      buf[k++] = n;
    } while (n > 1);
    return java.util.Arrays.copyOf(buf, k);
  }

  public int length() {
    return nfft;
  }

  public int[] factors() {
    return factors.clone();
  }

  public short[] twiddleRe() {
    return twiddleRe.clone();
  }

  public short[] twiddleIm() {
    return twiddleIm.clone();
  }

  public short[] superTwiddleRe() {
    return superRe.clone();
  }

  public short[] superTwiddleIm() {
    return superIm.clone();
  }

  /** Transforms {@code nfft} int16 samples into nfft/2+1 (real, imag) pairs. */
  public void forward(int[] time, int[] freq) {
    short[] re = new short[ncfft];
    short[] im = new short[ncfft];
    short[] inRe = new short[ncfft];
    short[] inIm = new short[ncfft];
    for (int i = 0; i < ncfft; i++) {
      inRe[i] = (short) time[2 * i];
      inIm[i] = (short) time[2 * i + 1];
    }
    work(re, im, 0, inRe, inIm, 0, 1, 0);

    short dcRe = divScalar(re[0], 2);
    short dcIm = divScalar(im[0], 2);
    freq[0] = (short) (dcRe + dcIm);
    freq[1] = 0;
    freq[2 * ncfft] = (short) (dcRe - dcIm);
    freq[2 * ncfft + 1] = 0;
    for (int k = 1; k <= ncfft / 2; k++) {
      short fpkRe = divScalar(re[k], 2);
      short fpkIm = divScalar(im[k], 2);
      short fpnkRe = divScalar(re[ncfft - k], 2);
      short fpnkIm = divScalar((short) -im[ncfft - k], 2);
      short f1Re = (short) (fpkRe + fpnkRe);
      short f1Im = (short) (fpkIm + fpnkIm);
      short f2Re = (short) (fpkRe - fpnkRe);
      short f2Im = (short) (fpkIm - fpnkIm);
      short twRe = mulRe(f2Re, f2Im, superRe[k - 1], superIm[k - 1]);
      short twIm = mulIm(f2Re, f2Im, superRe[k - 1], superIm[k - 1]);
      // HALF_OF is an arithmetic shift of the int sum, truncated to int16 on assignment.
      freq[2 * k] = (short) ((f1Re + twRe) >> 1);
      freq[2 * k + 1] = (short) ((f1Im + twIm) >> 1);
      freq[2 * (ncfft - k)] = (short) ((f1Re - twRe) >> 1);
      freq[2 * (ncfft - k) + 1] = (short) ((twIm - f1Im) >> 1);
    }
  }

  /** kf_work: recursive decimation in time, then the stage's butterflies. */
  private void work(short[] outRe, short[] outIm, int out, short[] inRe, short[] inIm, int in,
      int fstride, int f) {
    int p = factors[f];
    int m = factors[f + 1];
    int end = out + p * m;
    if (m == 1) {
      for (int o = out; o < end; o++) {
        outRe[o] = inRe[in];
        outIm[o] = inIm[in];
        in += fstride;
      }
    } else {
      for (int o = out; o < end; o += m) {
        work(outRe, outIm, o, inRe, inIm, in, fstride * p, f + 2);
        in += fstride;
      }
    }
    switch (p) {
      case 2 -> butterfly2(outRe, outIm, out, fstride, m);
      case 4 -> butterfly4(outRe, outIm, out, fstride, m);
      default -> throw new IllegalStateException("radix " + p + " (fft lengths are powers of 2)");
    }
  }

  private void butterfly2(short[] re, short[] im, int at, int fstride, int m) {
    int tw = 0;
    for (int k = 0; k < m; k++) {
      int a = at + k;
      int b = a + m;
      re[a] = divScalar(re[a], 2);
      im[a] = divScalar(im[a], 2);
      re[b] = divScalar(re[b], 2);
      im[b] = divScalar(im[b], 2);
      short tRe = mulRe(re[b], im[b], twiddleRe[tw], twiddleIm[tw]);
      short tIm = mulIm(re[b], im[b], twiddleRe[tw], twiddleIm[tw]);
      tw += fstride;
      re[b] = (short) (re[a] - tRe);
      im[b] = (short) (im[a] - tIm);
      re[a] = (short) (re[a] + tRe);
      im[a] = (short) (im[a] + tIm);
    }
  }

  private void butterfly4(short[] re, short[] im, int at, int fstride, int m) {
    int tw1 = 0;
    int tw2 = 0;
    int tw3 = 0;
    for (int k = 0; k < m; k++) {
      int i0 = at + k;
      int i1 = i0 + m;
      int i2 = i0 + 2 * m;
      int i3 = i0 + 3 * m;
      for (int i : new int[] {i0, i1, i2, i3}) {
        re[i] = divScalar(re[i], 4);
        im[i] = divScalar(im[i], 4);
      }
      short s0Re = mulRe(re[i1], im[i1], twiddleRe[tw1], twiddleIm[tw1]);
      short s0Im = mulIm(re[i1], im[i1], twiddleRe[tw1], twiddleIm[tw1]);
      short s1Re = mulRe(re[i2], im[i2], twiddleRe[tw2], twiddleIm[tw2]);
      short s1Im = mulIm(re[i2], im[i2], twiddleRe[tw2], twiddleIm[tw2]);
      short s2Re = mulRe(re[i3], im[i3], twiddleRe[tw3], twiddleIm[tw3]);
      short s2Im = mulIm(re[i3], im[i3], twiddleRe[tw3], twiddleIm[tw3]);
      short s5Re = (short) (re[i0] - s1Re);
      short s5Im = (short) (im[i0] - s1Im);
      re[i0] = (short) (re[i0] + s1Re);
      im[i0] = (short) (im[i0] + s1Im);
      short s3Re = (short) (s0Re + s2Re);
      short s3Im = (short) (s0Im + s2Im);
      short s4Re = (short) (s0Re - s2Re);
      short s4Im = (short) (s0Im - s2Im);
      re[i2] = (short) (re[i0] - s3Re);
      im[i2] = (short) (im[i0] - s3Im);
      tw1 += fstride;
      tw2 += 2 * fstride;
      tw3 += 3 * fstride;
      re[i0] = (short) (re[i0] + s3Re);
      im[i0] = (short) (im[i0] + s3Im);
      // Forward transform: multiply s4 by -i for the m-th output, +i for the 3m-th.
      re[i1] = (short) (s5Re + s4Im);
      im[i1] = (short) (s5Im - s4Re);
      re[i3] = (short) (s5Re - s4Im);
      im[i3] = (short) (s5Im + s4Re);
    }
  }

  /** sround: round the Q30 product back to Q15 and truncate to int16. */
  private static short round(int x) {
    return (short) ((x + (1 << 14)) >> 15);
  }

  /** C_FIXDIV: multiply by SAMP_MAX / k (integer division) in Q15. */
  private static short divScalar(short x, int k) {
    return round(x * (SAMP_MAX / k));
  }

  private static short mulRe(short aRe, short aIm, short bRe, short bIm) {
    return round(aRe * bRe - aIm * bIm);
  }

  private static short mulIm(short aRe, short aIm, short bRe, short bIm) {
    return round(aRe * bIm + aIm * bRe);
  }
}
