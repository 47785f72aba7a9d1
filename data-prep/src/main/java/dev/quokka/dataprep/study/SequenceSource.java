package dev.quokka.dataprep.study;

/** A study's training sequences in training order: what training consumes, from either form of a study. */
public interface SequenceSource {
    /** Number of sequences in the whole run. */
    long sequences();

    /** Tokens per sequence: L + 1. */
    int window();

    /** The epoch that training-order sequence j belongs to. */
    int epochOf(long j);

    /** Fills {@code out} with the tokens of training-order sequence j. */
    void read(long j, int[] out);

    /** Opens a study in the form it has: materialized sequences if present, the index otherwise. */
    static SequenceSource open(String study, org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(study);
        boolean materialized = dir.getFileSystem(conf).exists(new org.apache.hadoop.fs.Path(dir, MaterializedReader.DIR));
        return materialized ? MaterializedReader.open(study, conf) : StudyReader.open(study, conf);
    }
}
