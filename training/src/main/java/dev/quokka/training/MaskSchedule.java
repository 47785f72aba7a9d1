package dev.quokka.training;

/**
 * Diffusion noise schedules (the masked kernel's and the uniform kernel's alike), as the masking probability m(t) = 1 - alpha_t and the ELBO weight
 * w(t) = -alpha'_t / (1 - alpha_t) (docs/objective.md).
 */
public enum MaskSchedule {
    /** alpha_t = 1 - t: m = t, w = 1/t. Quokka's default and best. */
    LINEAR {
        @Override
        public double alpha(double t) {
            return 1 - t;
        }

        @Override
        public double weight(double t) {
            return 1 / t;
        }

        @Override
        public double alphaPrime(double t) {
            return -1;
        }
    },
    /** alpha_t = 1 - t^2: m = t^2, w = 2/t. */
    POLY2 {
        @Override
        public double alpha(double t) {
            return 1 - t * t;
        }

        @Override
        public double weight(double t) {
            return 2 / t;
        }

        @Override
        public double alphaPrime(double t) {
            return -2 * t;
        }
    },
    /** alpha_t = 1 - cos(pi/2 (1 - t)): m = cos(pi/2 (1 - t)), w = (pi/2) tan(pi/2 (1 - t)). */
    COSINE {
        @Override
        public double alpha(double t) {
            return 1 - Math.cos(Math.PI / 2 * (1 - t));
        }

        @Override
        public double weight(double t) {
            return Math.PI / 2 * Math.tan(Math.PI / 2 * (1 - t));
        }

        @Override
        public double alphaPrime(double t) {
            return -Math.PI / 2 * Math.sin(Math.PI / 2 * (1 - t));
        }
    };

    /** The probability that a token survives unmasked at time t. */
    public abstract double alpha(double t);

    /** The ELBO weight of a masked token at time t. */
    public abstract double weight(double t);

    /** d alpha / dt; w(t) = -alpha'_t / (1 - alpha_t) ({@code SchedulesTest} checks the two agree). */
    public abstract double alphaPrime(double t);

    /** The probability that a token is masked at time t. */
    public double maskProbability(double t) {
        return 1 - alpha(t);
    }
}
