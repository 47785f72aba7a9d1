package dev.quokka.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face pre-tokenizer made of {@code Split} and {@code ByteLevel} steps, each applied to every piece the
 * previous one produced. It cuts text into the words that BPE encodes one at a time.
 */
public final class PreTokenizer {

    /** One step of the pipeline. */
    public sealed interface Step permits Split, ByteLevelStep {}

    /**
     * HF's {@code Split}: the pattern's matches are delimiters ({@code invert} makes the gaps the delimiters), and
     * {@code behavior} says what becomes of them.
     */
    public record Split(String pattern, Behavior behavior, boolean invert) implements Step {}

    /** HF's {@code ByteLevel}: optionally a leading space, and with {@code useRegex} the GPT-2 split. */
    public record ByteLevelStep(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) implements Step {}

    /** HF's SplitDelimiterBehavior. */
    public enum Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

    private final List<Step> steps;
    private final boolean sequence;
    private final Splitter[] splitters;
    private final boolean addPrefixSpace;

    /**
     * @param steps    the steps in order; only the first may add a prefix space
     * @param sequence whether tokenizer.json wraps the steps in a {@code Sequence} (kept for saving)
     */
    public PreTokenizer(List<Step> steps, boolean sequence) {
        if (steps.isEmpty()) throw new IllegalArgumentException("a pre-tokenizer needs at least one step");
        if (steps.size() > 1 && !sequence) throw new IllegalArgumentException("several steps need a Sequence");
        this.steps = List.copyOf(steps);
        this.sequence = sequence;
        this.splitters = new Splitter[steps.size()];
        boolean prefix = false;
        for (int k = 0; k < steps.size(); k++) {
            Step step = steps.get(k);
            if (step instanceof Split split) {
                splitters[k] = RegexSplitter.forPattern(split.pattern());
            } else if (step instanceof ByteLevelStep bl) {
                splitters[k] = bl.useRegex() ? Gpt2Splitter.INSTANCE : null;
                if (bl.addPrefixSpace()) {
                    if (k > 0) {
                        throw new UnsupportedFeatureException("pre_tokenizer.pretokenizers[" + k + "].add_prefix_space",
                                "true after another step (only a leading ByteLevel may add a prefix space)");
                    }
                    prefix = true;
                }
            }
        }
        this.addPrefixSpace = prefix;
        if (steps.stream().noneMatch(s -> s instanceof ByteLevelStep)) {
            throw new UnsupportedFeatureException("pre_tokenizer", "no ByteLevel step: only byte-level BPE is supported");
        }
    }

    /** GPT-2's: {@code ByteLevel} with its regex and no prefix space. */
    public static PreTokenizer gpt2() {
        return new PreTokenizer(List.of(new ByteLevelStep(false, true, true)), false);
    }

    /** A {@code Split} on a regex followed by a plain {@code ByteLevel}, as cl100k and Qwen write it. */
    public static PreTokenizer splitThenByteLevel(String pattern) {
        return new PreTokenizer(List.of(new Split(pattern, Behavior.Isolated, false),
                new ByteLevelStep(false, false, false)), true);
    }

    /** By name: {@code gpt2}, {@code cl100k} or {@code qwen}; anything else is taken as a Split regex. */
    public static PreTokenizer named(String nameOrRegex) {
        return switch (nameOrRegex) {
            case "gpt2" -> gpt2();
            case "cl100k" -> splitThenByteLevel(Cl100kSplitter.CL100K_PATTERN);
            case "qwen" -> splitThenByteLevel(Cl100kSplitter.QWEN_PATTERN);
            default -> splitThenByteLevel(nameOrRegex);
        };
    }

    public List<Step> steps() {
        return steps;
    }

    public boolean isSequence() {
        return sequence;
    }

    boolean addsPrefixSpace() {
        return addPrefixSpace;
    }

    /** Cuts {@code text[from, to)} into words. */
    public void split(String text, int from, int to, Splitter.SpanSink words) {
        apply(0, text, from, to, words);
    }

    private void apply(int k, String text, int from, int to, Splitter.SpanSink words) {
        if (from >= to) return;
        if (k == steps.size()) {
            words.accept(from, to);
            return;
        }
        Splitter splitter = splitters[k];
        if (splitter == null) {
            apply(k + 1, text, from, to, words);
            return;
        }
        Step step = steps.get(k);
        Behavior behavior = step instanceof Split s ? s.behavior() : Behavior.Isolated;
        boolean invert = step instanceof Split s && s.invert();
        if (behavior == Behavior.Isolated || (behavior == Behavior.Removed && invert)) {
            // The common case, streamed: matches become pieces; gaps too, unless they are the removed delimiters.
            boolean keepGaps = behavior == Behavior.Isolated;
            int[] last = {from};
            splitter.split(text, from, to, (s, e) -> {
                if (keepGaps) apply(k + 1, text, last[0], s, words);
                apply(k + 1, text, s, e, words);
                last[0] = e;
            });
            if (keepGaps) apply(k + 1, text, last[0], to, words);
            return;
        }
        for (int[] piece : pieces(splitter, text, from, to, behavior, invert)) {
            apply(k + 1, text, piece[0], piece[1], words);
        }
    }

    /** HF's SplitDelimiterBehavior over the alternating gaps and matches, for the less common behaviours. */
    private static List<int[]> pieces(Splitter splitter, String text, int from, int to, Behavior behavior, boolean invert) {
        List<int[]> parts = new ArrayList<>(); // {start, end, isDelimiter}
        int[] last = {from};
        splitter.split(text, from, to, (s, e) -> {
            if (s > last[0]) parts.add(new int[] {last[0], s, invert ? 1 : 0});
            parts.add(new int[] {s, e, invert ? 0 : 1});
            last[0] = e;
        });
        if (to > last[0]) parts.add(new int[] {last[0], to, invert ? 1 : 0});
        List<int[]> out = new ArrayList<>();
        switch (behavior) {
            case Removed -> parts.stream().filter(p -> p[2] == 0).forEach(out::add);
            case Isolated -> out.addAll(parts);
            case MergedWithPrevious -> {
                boolean previousDelimiter = false;
                for (int[] p : parts) {
                    if (p[2] == 1 && !previousDelimiter && !out.isEmpty()) out.get(out.size() - 1)[1] = p[1];
                    else out.add(p.clone());
                    previousDelimiter = p[2] == 1;
                }
            }
            case MergedWithNext -> {
                boolean nextDelimiter = false;
                List<int[]> reversed = new ArrayList<>();
                for (int i = parts.size() - 1; i >= 0; i--) {
                    int[] p = parts.get(i);
                    if (p[2] == 1 && !nextDelimiter && !reversed.isEmpty()) reversed.get(reversed.size() - 1)[0] = p[0];
                    else reversed.add(p.clone());
                    nextDelimiter = p[2] == 1;
                }
                for (int i = reversed.size() - 1; i >= 0; i--) out.add(reversed.get(i));
            }
            case Contiguous -> {
                int previous = -1;
                for (int[] p : parts) {
                    if (p[2] == previous && !out.isEmpty()) out.get(out.size() - 1)[1] = p[1];
                    else out.add(p.clone());
                    previous = p[2];
                }
            }
        }
        return out;
    }
}
