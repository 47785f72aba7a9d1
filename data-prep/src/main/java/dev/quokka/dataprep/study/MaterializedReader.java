package dev.quokka.dataprep.study;

import dev.quokka.dataprep.format.StudyFormat;
import dev.quokka.dataprep.format.TokenColumns;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.StudyManifest;
import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Reads the sequences that {@code shard --materialize} wrote, one epoch in memory at a time. */
public final class MaterializedReader implements SequenceSource {
    public static final String DIR = StudyFormat.SEQUENCES_DIR;
    private final Path dir;
    private final Configuration conf;
    private final long[] firstSequence;
    private final int window;
    private int cachedEpoch = -1;
    private int[][] cached;

    private MaterializedReader(Path dir, StudyManifest m, Configuration conf) {
        this.dir = dir;
        this.conf = conf;
        int epochs = m.epochs().size();
        firstSequence = new long[epochs + 1];
        for (int k = 0; k < epochs; k++) firstSequence[k] = m.epochs().get(k).firstSequence();
        firstSequence[epochs] = m.stream().sequences();
        window = m.stream().window();
    }

    public static MaterializedReader open(String study, Configuration conf) throws IOException {
        Path dir = new Path(study);
        FileSystem fs = dir.getFileSystem(conf);
        if (!AtomicOutput.isComplete(fs, dir)) throw new IllegalArgumentException(study + " is not a complete study (no _SUCCESS)");
        StudyManifest m = StudyManifest.read(fs, dir);
        if (m.materialized() == null) throw new IllegalArgumentException(study + " was not built with --materialize");
        return new MaterializedReader(dir, m, conf);
    }

    @Override
    public long sequences() {
        return firstSequence[firstSequence.length - 1];
    }

    @Override
    public int window() {
        return window;
    }

    @Override
    public int epochOf(long j) {
        if (j < 0 || j >= sequences()) throw new IndexOutOfBoundsException("sequence " + j + " of " + sequences());
        int k = Arrays.binarySearch(firstSequence, 0, firstSequence.length - 1, j);
        if (k < 0) k = -k - 2;
        while (k + 2 < firstSequence.length && firstSequence[k + 1] == j) k++;
        return k;
    }

    @Override
    public void read(long j, int[] out) {
        int k = epochOf(j);
        if (k != cachedEpoch) load(k);
        int[] s = cached[(int) (j - firstSequence[k])];
        System.arraycopy(s, 0, out, 0, s.length);
    }

    private void load(int k) {
        int[][] seqs = new int[(int) (firstSequence[k + 1] - firstSequence[k])][];
        try {
            Path epochDir = new Path(dir, DIR + "/epoch=" + k);
            FileSystem fs = epochDir.getFileSystem(conf);
            if (fs.exists(epochDir)) {
                for (FileStatus f : fs.listStatus(epochDir, p -> p.getName().endsWith(".parquet"))) {
                    TokenColumns.read(f.getPath(), conf, "sequence", "sequence", "tokens",
                            (j, same, t) -> seqs[(int) (j - firstSequence[k])] = t);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (int i = 0; i < seqs.length; i++) {
            if (seqs[i] == null) throw new IllegalStateException(dir + ": epoch " + k + " lacks sequence " + (firstSequence[k] + i));
        }
        cached = seqs;
        cachedEpoch = k;
    }
}
