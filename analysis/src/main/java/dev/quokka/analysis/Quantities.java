package dev.quokka.analysis;

/** Counts written the way papers write them: 400M, 1.5B, 10T, or plain numbers such as 1e9. */
public final class Quantities {
    private static final String SUFFIXES = "kMBT";
    private static final double[] SCALE = {1e3, 1e6, 1e9, 1e12};

    private Quantities() {}

    public static double parse(String s) {
        String t = s.trim();
        if (t.isEmpty()) throw new IllegalArgumentException("an empty quantity");
        int k = SUFFIXES.indexOf(t.charAt(t.length() - 1));
        try {
            double v = k >= 0 ? Double.parseDouble(t.substring(0, t.length() - 1)) * SCALE[k] : Double.parseDouble(t);
            if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException("not a positive quantity: " + s);
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a quantity: " + s + " (write e.g. 400M, 1.5B, 10T or 1e9)");
        }
    }

    /** The shortest of the suffixed forms, to three significant figures: 400M, 1.5B, 1000T. */
    public static String format(double v) {
        for (int k = SCALE.length - 1; k >= 0; k--) {
            if (v >= SCALE[k]) return trim(v / SCALE[k]) + SUFFIXES.charAt(k);
        }
        return trim(v);
    }

    private static String trim(double v) {
        String s = new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        return s;
    }
}
