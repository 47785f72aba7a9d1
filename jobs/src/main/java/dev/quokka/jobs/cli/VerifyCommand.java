package dev.quokka.jobs.cli;

import dev.quokka.dataprep.verify.VerifyJob;
import dev.quokka.jobs.runtime.SparkSessions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Re-read a study and prove its accounting: every file present, every document matching its checksum, "
                + "exactly U unique tokens, every full epoch exactly their multiset, the partial epoch its checksum, and no "
                + "validation document in training. Exits 1 and names each problem's file, document or epoch.")
public final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STUDY", description = "The study directory") String study;

    @Override
    public Integer call() throws Exception {
        VerifyJob.Report r = VerifyJob.run(SparkSessions.get("quokka verify"), study);
        if (r.ok()) {
            System.out.printf("ok: %s (%,d tokens checked)%n", study, r.checkedTokens());
            return 0;
        }
        System.out.printf("FAILED: %s has %d problem%s:%n", study, r.problems().size(), r.problems().size() == 1 ? "" : "s");
        r.problems().forEach(p -> System.out.println("  " + p));
        return 1;
    }
}
