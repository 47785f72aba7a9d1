package dev.quokka.dataprep.study;

import dev.quokka.dataprep.format.Permutations;
import dev.quokka.dataprep.format.StudyFormat;
import dev.quokka.dataprep.format.TokenColumns;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.FileEntry;
import dev.quokka.dataprep.provenance.StudyManifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads a study as training consumes it, in one JVM and without Spark.
 *
 * <p>The stream is epoch 0's documents in its index order, then epoch 1's, and so on, cut at round(U e) tokens.
 * Sequence s of the stream is the window of L+1 tokens starting at s L (consecutive windows share one token, as in
 * Megatron). A sequence belongs to the epoch it starts in, and the training order visits each epoch's sequences in
 * the seeded order {@link Permutations#sequences}. Sequence j of the training order is therefore
 * {@code first(k) + sigma_k(j - first(k))} of the stream, where k is the epoch j falls in.
 */
public final class StudyReader implements SequenceSource {
    private final StudyManifest manifest;
    private final int[] tokens;       // the unique tokens, documents in rank order
    private final long[] docStart;    // by rank, with a final entry U
    private final Configuration conf;
    private final long uniqueTokens;
    private final long streamTokens;
    private final int seqLen;
    private final long seed;
    private final long[] firstSequence; // by epoch, with a final entry: the number of sequences
    private final int epochs;

    private int cachedEpoch = -1;
    private int[] cachedOrder;
    private long[] cachedCumulative;
    private int cachedShuffleEpoch = -1;
    private int[] cachedShuffle;

    private StudyReader(StudyManifest manifest, int[] tokens, long[] docStart, Configuration conf) {
        this.manifest = manifest;
        this.tokens = tokens;
        this.docStart = docStart;
        this.conf = conf;
        this.uniqueTokens = manifest.unique().tokens();
        this.streamTokens = manifest.stream().tokens();
        this.seqLen = manifest.stream().seqLen();
        this.seed = manifest.index().seed();
        this.epochs = manifest.epochs().size();
        this.firstSequence = new long[epochs + 1];
        for (int k = 0; k < epochs; k++) firstSequence[k] = manifest.epochs().get(k).firstSequence();
        firstSequence[epochs] = manifest.stream().sequences();
    }

    /** Opens a complete study (a directory with _SUCCESS) on any Hadoop FileSystem. */
    public static StudyReader open(String study, Configuration conf) throws IOException {
        Path dir = new Path(study);
        FileSystem fs = dir.getFileSystem(conf);
        if (!AtomicOutput.isComplete(fs, dir)) throw new IllegalArgumentException(study + " is not a complete study (no _SUCCESS)");
        return open(dir, StudyManifest.read(fs, dir), conf);
    }

    /** Opens a study directory with a given manifest; {@code shard --materialize} reads its own staging directory. */
    public static StudyReader open(Path dir, StudyManifest m, Configuration conf) throws IOException {
        String study = dir.toString();
        if (!StudyFormat.FORMAT.equals(m.format())) throw new IllegalArgumentException(study + ": not a " + StudyFormat.FORMAT + " manifest");
        long u = m.unique().tokens();
        int n = (int) m.unique().documents();
        if (u > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(study + ": U = " + u + " does not fit one array");
        int[] tokens = new int[(int) u];
        long[] start = new long[n + 1];
        int[] lengths = new int[n];
        for (FileEntry f : m.unique().files()) {
            TokenColumns.read(new Path(dir, f.name()), conf, "rank", "offset", "tokens", (rank, offset, t) -> {
                System.arraycopy(t, 0, tokens, (int) offset, t.length);
                start[(int) rank] = offset;
                lengths[(int) rank] = t.length;
            });
        }
        start[n] = u;
        for (int r = 0; r < n; r++) {
            if (start[r] + lengths[r] != start[r + 1]) throw new IllegalStateException(study + ": unique document " + r + " does not end where " + (r + 1) + " starts");
        }
        String algorithm = m.index().algorithm();
        if (!Permutations.ALGORITHM.equals(algorithm)) {
            throw new IllegalArgumentException(study + ": epoch orders made with " + algorithm + ", this reader knows " + Permutations.ALGORITHM);
        }
        return new StudyReader(m, tokens, start, conf);
    }

    public StudyManifest manifest() {
        return manifest;
    }

    /** Number of sequences in the whole run. */
    @Override
    public long sequences() {
        return firstSequence[epochs];
    }

    /** Tokens per sequence: L + 1. */
    @Override
    public int window() {
        return seqLen + 1;
    }

    public int seqLen() {
        return seqLen;
    }

    public int epochs() {
        return epochs;
    }

    public long uniqueTokens() {
        return uniqueTokens;
    }

    public long firstSequence(int epoch) {
        return firstSequence[epoch];
    }

    public long sequencesIn(int epoch) {
        return firstSequence[epoch + 1] - firstSequence[epoch];
    }

    /** The epoch that training-order sequence j belongs to. */
    @Override
    public int epochOf(long j) {
        if (j < 0 || j >= sequences()) throw new IndexOutOfBoundsException("sequence " + j + " of " + sequences());
        int k = Arrays.binarySearch(firstSequence, 0, epochs, j);
        if (k < 0) k = -k - 2;
        while (k + 1 < epochs && firstSequence[k + 1] == j) k++; // epochs with no sequence of their own
        return k;
    }

    /** Epochs seen once training-order sequence j is done: stream tokens consumed, (j + 1) L, over U. */
    public double epochsAfter(long j) {
        if (j < 0 || j >= sequences()) throw new IndexOutOfBoundsException("sequence " + j + " of " + sequences());
        return (double) (j + 1) * seqLen / uniqueTokens;
    }

    /** Fills {@code out} with the L+1 tokens of training-order sequence j. */
    @Override
    public void read(long j, int[] out) {
        int k = epochOf(j);
        if (cachedShuffleEpoch != k) {
            cachedShuffle = Permutations.sequences(seed, k, Math.toIntExact(sequencesIn(k)));
            cachedShuffleEpoch = k;
        }
        readStream(firstSequence[k] + cachedShuffle[(int) (j - firstSequence[k])], out);
    }

    /** Fills {@code out} with the L+1 tokens of stream sequence s (stream order, before shuffling). */
    public void readStream(long s, int[] out) {
        readTokens(s * seqLen, out, seqLen + 1);
    }

    /** Copies {@code len} tokens of the stream from position {@code p}, across documents and epochs. */
    public void readTokens(long p, int[] out, int len) {
        if (p < 0 || p + len > streamTokens) throw new IndexOutOfBoundsException("tokens " + p + ".." + (p + len) + " of " + streamTokens);
        int done = 0;
        while (done < len) {
            int k = (int) (p / uniqueTokens);
            long offset = p % uniqueTokens;
            loadEpoch(k);
            int i = Arrays.binarySearch(cachedCumulative, offset);
            if (i < 0) i = -i - 2;
            while (cachedCumulative[i + 1] == offset) i++; // skip empty documents at this offset
            int doc = cachedOrder[i];
            long inDoc = offset - cachedCumulative[i];
            int n = (int) Math.min(len - done, (docStart[doc + 1] - docStart[doc]) - inDoc);
            System.arraycopy(tokens, (int) (docStart[doc] + inDoc), out, done, n);
            done += n;
            p += n;
        }
    }

    /** The document order of epoch k: the row of the stored index. */
    public int[] epochOrder(int k) {
        loadEpoch(k);
        return cachedOrder.clone();
    }

    private void loadEpoch(int k) {
        if (k == cachedEpoch) return;
        // The stored index is this permutation (verify proves it); computing it costs O(n), finding its row in the
        // index files costs a scan of every earlier epoch.
        int[] order = Permutations.documents(seed, k, docStart.length - 1);
        long[] cumulative = new long[order.length + 1];
        for (int i = 0; i < order.length; i++) cumulative[i + 1] = cumulative[i] + docStart[order[i] + 1] - docStart[order[i]];
        cachedOrder = order;
        cachedCumulative = cumulative;
        cachedEpoch = k;
    }

    /** The held-out documents, each ending with end-of-document, in document-id order. */
    public static List<int[]> validation(String study, Configuration conf) throws IOException {
        Path dir = new Path(study, "validation");
        List<int[]> docs = new ArrayList<>();
        var files = dir.getFileSystem(conf).listStatus(dir, p -> p.getName().endsWith(".parquet"));
        Arrays.sort(files);
        for (var f : files) TokenColumns.read(f.getPath(), conf, "doc_id", "n_tokens", "tokens", (id, n, t) -> docs.add(t));
        return docs;
    }
}
