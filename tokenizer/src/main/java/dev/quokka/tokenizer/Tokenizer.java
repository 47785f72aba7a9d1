package dev.quokka.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A byte-level BPE tokenizer: normalize, split out added tokens, pre-tokenize into words, BPE each word's UTF-8.
 * Immutable and thread-safe; load one with {@link TokenizerJson} or {@link Tiktoken}, or train one with
 * {@link BpeTrainer}.
 *
 * <p>{@code decode(encode(s))} equals {@code s} for every string, up to the normalizer (none for GPT-2 and
 * cl100k; NFC for Qwen) and lone surrogates, which become U+FFFD and are counted in
 * {@link #replacedSurrogates()}.
 */
public final class Tokenizer {
    private final Bpe bpe;
    private final List<AddedToken> addedTokens;
    private final Map<Integer, byte[]> addedBytes = new HashMap<>();
    private final AddedTokenMatcher allAdded;
    private final AddedTokenMatcher ordinaryAdded;
    private final Normalization normalization;
    private final PreTokenizer preTokenizer;
    private final PreTokenizer.ByteLevelStep postProcessor;
    private final PreTokenizer.ByteLevelStep decoder;
    private final SpecialTokens specialTokens;
    private final int vocabSize;
    private final LongAdder replacedSurrogates = new LongAdder();
    private final ThreadLocal<State> state = ThreadLocal.withInitial(State::new);

    Tokenizer(Bpe bpe, List<AddedToken> addedTokens, Normalization normalization, PreTokenizer preTokenizer,
              PreTokenizer.ByteLevelStep postProcessor, PreTokenizer.ByteLevelStep decoder, SpecialTokens roles) {
        this.bpe = bpe;
        this.addedTokens = List.copyOf(addedTokens);
        this.normalization = normalization;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        int size = bpe.size();
        for (AddedToken t : this.addedTokens) {
            addedBytes.put(t.id(), t.content().getBytes(StandardCharsets.UTF_8));
            size = Math.max(size, t.id() + 1);
        }
        this.vocabSize = size;
        this.allAdded = new AddedTokenMatcher(this.addedTokens);
        this.ordinaryAdded = new AddedTokenMatcher(this.addedTokens.stream().filter(t -> !t.special()).toList());
        this.specialTokens = roles != null ? roles : SpecialTokens.infer(this.addedTokens);
    }

    /** This tokenizer with other special-token roles (e.g. when the names are not the usual ones). */
    public Tokenizer withSpecialTokens(SpecialTokens roles) {
        return new Tokenizer(bpe, addedTokens, normalization, preTokenizer, postProcessor, decoder, roles);
    }

    /**
     * Encodes text as training data: special tokens written in the text are encoded as ordinary text, so a document
     * cannot forge an end-of-document. Non-special added tokens are still matched, as Hugging Face does.
     */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * @param allowSpecial also match special tokens written in the text, which is what Hugging Face tokenizers'
     *                     {@code encode} does
     */
    public int[] encode(String text, boolean allowSpecial) {
        State st = state.get();
        st.out.clear();
        AddedTokenMatcher matcher = allowSpecial ? allAdded : ordinaryAdded;
        if (matcher.isEmpty()) {
            encodeText(text, 0, text.length(), st);
        } else {
            matcher.split(text, (start, end, id) -> {
                if (id >= 0) st.out.add(id);
                else encodeText(text, start, end, st);
            });
        }
        return st.out.toArray();
    }

    /** Encodes each text as {@link #encode(String)} does, on the calling thread. */
    public int[][] encodeBatch(List<String> texts) {
        int[][] out = new int[texts.size()][];
        for (int i = 0; i < out.length; i++) out[i] = encode(texts.get(i));
        return out;
    }

    private void encodeText(String text, int from, int to, State st) {
        if (normalization != null || preTokenizer.addsPrefixSpace()) {
            String piece = text.substring(from, to);
            if (normalization != null) piece = normalization.apply(piece);
            if (preTokenizer.addsPrefixSpace() && !piece.startsWith(" ")) piece = " " + piece;
            text = piece;
            from = 0;
            to = piece.length();
        }
        String s = text;
        preTokenizer.split(s, from, to, (start, end) -> encodeWord(s, start, end, st));
    }

    private void encodeWord(String s, int start, int end, State st) {
        boolean cacheable = end - start <= WordCache.MAX_WORD;
        int hash = 0;
        if (cacheable) {
            hash = WordCache.hash(s, start, end);
            int[] hit = st.cache.get(s, start, end, hash);
            if (hit != null) {
                for (int t : hit) st.out.add(t);
                return;
            }
        }
        int len = st.utf8.encode(s, start, end);
        if (st.utf8.replaced > 0) replacedSurrogates.add(st.utf8.replaced);
        if (!cacheable || st.utf8.replaced > 0) { // uncached, so that every occurrence is counted
            bpe.encodeWord(st.utf8.bytes, len, st.out, st.scratch);
            return;
        }
        st.word.clear();
        bpe.encodeWord(st.utf8.bytes, len, st.word, st.scratch);
        int[] tokens = st.word.toArray();
        st.cache.put(s, start, end, hash, tokens);
        for (int t : tokens) st.out.add(t);
    }

    /** Decodes ids to text; byte sequences that are not valid UTF-8 become U+FFFD, as in Hugging Face. */
    public String decode(int[] ids) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(ids.length * 4);
        for (int i = 0; i < ids.length; i++) {
            byte[] b = tokenBytes(ids[i]);
            if (b == null) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is not in the vocabulary (size " + vocabSize + ")");
            }
            buf.write(b, 0, b.length);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** The bytes a token stands for, or null for an unknown id. */
    public byte[] tokenBytes(int id) {
        byte[] added = addedBytes.get(id);
        return added != null ? added.clone() : cloneOrNull(bpe.bytes(id));
    }

    private static byte[] cloneOrNull(byte[] b) {
        return b == null ? null : b.clone();
    }

    /** One more than the largest id, model and added tokens together. */
    public int vocabSize() {
        return vocabSize;
    }

    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    public List<AddedToken> addedTokens() {
        return addedTokens;
    }

    /** How many lone surrogates a text holds: encoding replaces each with U+FFFD. */
    public static int countLoneSurrogates(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) n++;
        }
        return n;
    }

    /** Lone surrogates replaced by U+FFFD so far, across all threads. */
    public long replacedSurrogates() {
        return replacedSurrogates.sum();
    }

    /** Forgets cached words on the calling thread (benchmarks use it to measure a cold pass). */
    public void clearCache() {
        state.get().cache.clear();
    }

    Bpe bpe() {
        return bpe;
    }

    Normalization normalization() {
        return normalization;
    }

    PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    PreTokenizer.ByteLevelStep postProcessor() {
        return postProcessor;
    }

    PreTokenizer.ByteLevelStep decoder() {
        return decoder;
    }

    /** Per-thread buffers: the word cache, UTF-8 bytes, BPE scratch and the output list. */
    private static final class State {
        final WordCache cache = new WordCache();
        final Bpe.Scratch scratch = new Bpe.Scratch();
        final IntList out = new IntList(1024);
        final IntList word = new IntList(16);
        final Utf8Buffer utf8 = new Utf8Buffer();
    }
}
