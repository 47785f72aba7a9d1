package dev.quokka.jobs.cli;

import dev.quokka.jobs.options.PlanOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Plan with a scaling law: optimal epochs e_opt(N, U) and the joint optimum (N, e) at fixed U "
                + "(data-constrained Quokka laws), the compute-optimal N and D for budgets, and the critical compute "
                + "C_crit(U) against a second law. Prints Markdown; --output also writes plan.md and one CSV per table.",
                "Quantities take suffixes: 400M, 1.5B, 10T, or plain numbers such as 1e21."})
public final class PlanCommand implements Callable<Integer> {
    @Mixin PlanOptions plan;

    @Override
    public Integer call() throws Exception {
        return plan.run();
    }
}
