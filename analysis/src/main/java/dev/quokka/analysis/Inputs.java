package dev.quokka.analysis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Files found under paths or globs on any Hadoop FileSystem: a listing on the driver, no file is read. data-prep's
 * {@code provenance.InputFiles} does the same for the jobs that write artifacts; analysis keeps its own listing because
 * it depends on no other module (docs/architecture.md), and this is all of it that analysis needs.
 */
final class Inputs {
    private Inputs() {}

    /** Every file whose name is wanted, searched recursively under each match of each pattern; a pattern that matches nothing is an error. */
    static List<Path> filesUnder(List<String> patterns, Configuration conf, Predicate<String> wantedName) throws IOException {
        List<Path> found = new ArrayList<>();
        for (String pattern : patterns) {
            Path p = new Path(pattern);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus[] matches = fs.globStatus(p);
            if (matches == null || matches.length == 0) throw new IllegalArgumentException(pattern + ": no such file or directory");
            for (FileStatus m : matches) {
                RemoteIterator<LocatedFileStatus> files = fs.listFiles(m.getPath(), true);
                while (files.hasNext()) {
                    Path f = files.next().getPath();
                    if (wantedName.test(f.getName())) found.add(f);
                }
            }
        }
        return found;
    }
}
