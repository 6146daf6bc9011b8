package io.replwatch.lake.capacity;

/**
 * Ordinary least squares {@code y = intercept + slope * x}, with R² and the residual standard error: the
 * forecast's quality is reported next to it, never hidden.
 */
public record LinearFit(double intercept, double slope, double r2, double stdError, int n) {

    public static LinearFit of(final double[] x, final double[] y) {
        final int n = x.length;
        if (n == 0) {
            return new LinearFit(0, 0, Double.NaN, Double.NaN, 0);
        }
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
            syy += (y[i] - my) * (y[i] - my);
        }
        final double slope = sxx == 0 ? 0 : sxy / sxx;
        final double intercept = my - slope * mx;
        double sse = 0;
        for (int i = 0; i < n; i++) {
            final double r = y[i] - (intercept + slope * x[i]);
            sse += r * r;
        }
        final double r2 = syy == 0 ? (sse == 0 ? 1 : 0) : 1 - sse / syy;
        final double se = n > 2 ? Math.sqrt(sse / (n - 2)) : Double.NaN;
        return new LinearFit(intercept, slope, r2, se, n);
    }

    public double at(final double x) {
        return intercept + slope * x;
    }

    /** Sum of the fitted values for x = from+1 .. from+count (never below zero per day). */
    public double sumAhead(final double from, final int count) {
        double s = 0;
        for (int d = 1; d <= count; d++) {
            s += Math.max(0, at(from + d));
        }
        return s;
    }

    /** A plain-words quality for people: good (R² ≥ 0.8), fair (≥ 0.5), poor, or too little data (< 7 days). */
    public String quality() {
        if (n < 7) {
            return "too little data (" + n + " day(s))";
        }
        return r2 >= 0.8 ? "good" : r2 >= 0.5 ? "fair" : "poor (the WAL volume does not follow a line)";
    }
}
