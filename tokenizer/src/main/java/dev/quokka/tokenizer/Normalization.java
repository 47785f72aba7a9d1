package dev.quokka.tokenizer;

import java.text.Normalizer;
import java.util.List;

/** A Hugging Face normalizer: Unicode normal forms, alone or in a {@code Sequence}. */
public record Normalization(List<Normalizer.Form> forms, boolean sequence) {
    public Normalization {
        forms = List.copyOf(forms);
        if (forms.isEmpty()) throw new IllegalArgumentException("a normalizer needs at least one form");
    }

    public static Normalization of(Normalizer.Form form) {
        return new Normalization(List.of(form), false);
    }

    String apply(String text) {
        for (Normalizer.Form form : forms) {
            if (!Normalizer.isNormalized(text, form)) text = Normalizer.normalize(text, form);
        }
        return text;
    }
}
