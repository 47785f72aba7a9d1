package dev.quokka.analysis;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of Quokka's released runs (its README, "Resources"), read into N, D and U:
 * <pre>
 *   compute-constrained  {FLOPs}_{model_size (M)}_{training_tokens}                 U = D: each token once
 *   data-constrained     {model_size (M)}_{training_tokens}_{repetition}_{anneal_steps}_{warmup_steps}
 *                        _{micro_batch_size}_{global_batch_size}_{learning_rate}     U = D / repetition
 * </pre>
 * Numbers may carry a unit (k, m, b, t, either case, as in Quokka's own names such as {@code 96b}), an exponent
 * ({@code 1e19}), and the model size an {@code M} (its unit in any case); a repetition may end in {@code e} or
 * {@code x}. A trailing {@code _ar}, {@code _dlm} or {@code _difflm} names the objective. A name that fits neither
 * pattern is not read at all: nothing is guessed.
 */
public final class QuokkaRunNames {
    /** What a name says. {@code objective} is null when the name does not say. */
    public record Named(String kind, String objective, double n, double d, double u) {}

    private static final String NUMBER = "\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?";
    private static final String AMOUNT = NUMBER + "[kKmMbBtT]?";
    private static final String OBJECTIVE = "(?:_(?<objective>ar|dlm|difflm))?";
    private static final Pattern COMPUTE = Pattern.compile("(?<c>" + NUMBER + ")_(?<n>" + NUMBER + ")[mM]?_(?<d>" + AMOUNT + ")" + OBJECTIVE);
    private static final Pattern DATA = Pattern.compile("(?<n>" + NUMBER + ")[mM]?_(?<d>" + AMOUNT + ")_(?<r>" + NUMBER + ")[eExX]?_(?<anneal>"
            + AMOUNT + ")_(?<warmup>" + AMOUNT + ")_(?<mbs>\\d+)_(?<gbs>\\d+)_(?<lr>" + NUMBER + ")" + OBJECTIVE);

    private QuokkaRunNames() {}

    public static Optional<Named> parse(String name) {
        Matcher c = COMPUTE.matcher(name);
        if (c.matches()) {
            double d = amount(c.group("d"));
            return Optional.of(new Named("compute-constrained", objective(c), Double.parseDouble(c.group("n")) * 1e6, d, d));
        }
        Matcher m = DATA.matcher(name);
        if (m.matches()) {
            double d = amount(m.group("d")), r = Double.parseDouble(m.group("r"));
            if (!(r > 0)) return Optional.empty();
            return Optional.of(new Named("data-constrained", objective(m), Double.parseDouble(m.group("n")) * 1e6, d, d / r));
        }
        return Optional.empty();
    }

    private static String objective(Matcher m) {
        String o = m.group("objective");
        return o == null ? null : o.equals("difflm") ? "dlm" : o;
    }

    /** 96b, 1.5B, 2e9, 500k: a number and an optional unit of 10^3, 10^6, 10^9 or 10^12. */
    static double amount(String text) {
        char last = Character.toLowerCase(text.charAt(text.length() - 1));
        double scale = switch (last) {
            case 'k' -> 1e3;
            case 'm' -> 1e6;
            case 'b' -> 1e9;
            case 't' -> 1e12;
            default -> 1;
        };
        return Double.parseDouble(scale == 1 ? text : text.substring(0, text.length() - 1)) * scale;
    }
}
