#!/usr/bin/python3
"""Prints ReferenceFixtures.cs: data sets and the figures SciPy (and R, through Rscript) compute for them.

Run with Debian's python3-scipy and r-base-core:  /usr/bin/python3 make_fixtures.py > ../ReferenceFixtures.cs
"""
import subprocess, warnings
import numpy as np
import scipy, scipy.stats as st

warnings.simplefilter("ignore")
rng = np.random.default_rng(20261122)

def r(code):
    out = subprocess.run(["Rscript", "-e", "options(digits=15);" + code], capture_output=True, text=True, check=True).stdout
    return [float(v) for v in out.split()]

def rvec(v):
    return "c(" + ",".join(repr(float(a)) for a in v) + ")"

def cs(v):
    return "[" + ", ".join(repr(float(a)) for a in v) + "]"

def g(x):
    return "double.PositiveInfinity" if np.isinf(x) else f"{x:.10g}"

lines = []
emit = lines.append

# ---------- paired t-test ----------
ttests = {
    "Paper accuracy, dynamic vs traditional (Tables 4 and 3), n = 7": (
        [83.2, 83.4, 81.8, 83.1, 85.1, 82.9, 82.6], [83, 82.1, 75.5, 81.3, 81.7, 76, 80.2]),
    "n = 5": (np.round(rng.normal(0.82, 0.03, 5), 3), None),
    "n = 12": (np.round(rng.normal(0.70, 0.05, 12), 3), None),
    "n = 30": (np.round(rng.normal(0.60, 0.10, 30), 3), None),
}
emit("    public static readonly PairedTTestFixture[] PairedTTests =\n    [")
for name, (x, y) in ttests.items():
    x = np.asarray(x, float)
    if y is None:
        y = np.round(x - rng.normal(0.01, 0.02, len(x)), 3)
    y = np.asarray(y, float)
    res = st.ttest_rel(x, y)
    lo, hi = r(f"x<-{rvec(x)};y<-{rvec(y)};cat(t.test(x,y,paired=TRUE)$conf.int,'\\n')")
    d = x - y
    emit(f"        // {name}")
    emit(f"        // scipy.stats.ttest_rel(x, y) -> t, p; R: t.test(x, y, paired=TRUE)$conf.int -> CI; numpy mean / std(ddof=1) of x - y")
    emit(f"        new(\"{name}\", {cs(x)},\n            {cs(y)},\n            "
         f"Mean: {g(d.mean())}, Sd: {g(d.std(ddof=1))}, T: {g(res.statistic)}, Df: {len(x) - 1}, P: {g(res.pvalue)}, CiLower: {g(lo)}, CiUpper: {g(hi)}),")
emit("    ];\n")

# ---------- Wilcoxon ----------
def distinct(n, scale):
    while True:
        d = np.round(rng.normal(0.3 * scale, scale, n), 4)
        if len(set(np.abs(d))) == n and not np.any(d == 0):
            return d

wil = []
wil.append(("n = 5, no ties: exact", distinct(5, 1.0)))
wil.append(("n = 10, no ties: exact", distinct(10, 1.0)))
wil.append(("n = 30, no ties: exact", distinct(30, 1.0)))
wil.append(("n = 12, ties: normal approximation", np.round(rng.normal(0.3, 1.0, 12), 0) + np.where(rng.random(12) < 0.5, 0.5, -0.5)))
d = distinct(15, 1.0); d[[2, 7, 11]] = 0
wil.append(("n = 15 with 3 zeros: normal approximation on 12", d))
d = np.round(rng.normal(0.2, 1.0, 20), 1); d[[0, 5]] = 0
wil.append(("n = 20, ties and 2 zeros: normal approximation", d))
wil.append(("n = 60, no ties: normal approximation", distinct(60, 1.0)))
emit("    public static readonly WilcoxonFixture[] Wilcoxons =\n    [")
for name, d in wil:
    y = np.round(rng.uniform(0.5, 0.9, len(d)), 4)
    x = np.round(y + d, 4)
    d = x - y
    exact = len(d) <= 50 and not np.any(d == 0) and len(set(np.abs(d))) == len(d)
    v, p = r(f"x<-{rvec(x)};y<-{rvec(y)};w<-wilcox.test(x,y,paired=TRUE);cat(w$statistic,w$p.value,'\\n')")
    vnc, pnc = r(f"x<-{rvec(x)};y<-{rvec(y)};w<-wilcox.test(x,y,paired=TRUE,exact=FALSE,correct=FALSE);cat(w$statistic,w$p.value,'\\n')")
    sp = st.wilcoxon(x, y, correction=False, method="approx").pvalue
    assert abs(sp - pnc) < 1e-9 * max(1, pnc), (name, sp, pnc)
    if exact:
        se = st.wilcoxon(x, y).pvalue
        assert abs(se - p) < 1e-9, (name, se, p)
    n = int(np.sum(d != 0))
    emit(f"        // {name}")
    emit(f"        // R: wilcox.test(x, y, paired=TRUE) -> V, P ({'exact' if exact else 'normal approximation, correct=TRUE'})"
         + ("; scipy.stats.wilcoxon(x, y) gives the same p" if exact else ""))
    emit(f"        // R: wilcox.test(x, y, paired=TRUE, exact=FALSE, correct=FALSE) -> PNoCorrection; scipy.stats.wilcoxon(x, y, correction=False, method='approx') agrees")
    emit(f"        new(\"{name}\", {cs(x)},\n            {cs(y)},\n            "
         f"N: {n}, Zeros: {int(np.sum(d == 0))}, V: {g(v)}, P: {g(p)}, Exact: {'true' if exact else 'false'}, PNoCorrection: {g(pnc)}),")
emit("    ];\n")

# n = 50 exactly: R approximates (n < 50), SciPy counts (n <= 50), as this code does.
d = distinct(50, 1.0)
y = np.round(rng.uniform(0.5, 0.9, 50), 4); x = np.round(y + d, 4)
assert len(set(np.abs(x - y))) == 50
p50 = st.wilcoxon(x, y).pvalue
emit("    // n = 50, no ties: exact. scipy.stats.wilcoxon(x, y) (method='auto' counts for n <= 50; R's wilcox.test would approximate here)")
emit(f"    public static readonly WilcoxonFixture Wilcoxon50 = new(\"n = 50, no ties: exact\", {cs(x)},\n        {cs(y)},\n        "
     f"N: 50, Zeros: 0, V: {g(float(np.sum(st.rankdata(np.abs(x - y))[(x - y) > 0])))}, P: {g(p50)}, Exact: true, PNoCorrection: double.NaN);\n")

# ---------- Friedman ----------
fr = []
fr.append(("7 blocks x 3 treatments, no ties", np.round(rng.normal(0.8, 0.03, (7, 3)) + [0, 0.01, 0.03], 4)))
fr.append(("10 blocks x 4 treatments, ties", np.round(rng.normal(0.8, 0.03, (10, 4)) + [0, 0.01, 0.02, 0.04], 2)))
fr.append(("30 blocks x 5 treatments", np.round(rng.normal(0.7, 0.05, (30, 5)) + [0, 0.005, 0.01, 0.03, 0.05], 3)))
m = np.round(rng.normal(0.8, 0.03, (5, 3)), 3); m[:, 2] = m[:, 0] + 0.05; m[:, 1] = m[:, 0] - 0.05; m = np.round(m, 3)
fr.append(("5 blocks x 3 treatments, same order in every block", m))
emit("    public static readonly FriedmanFixture[] Friedmans =\n    [")
for name, m in fr:
    n, k = m.shape
    res = st.friedmanchisquare(*[m[:, j] for j in range(k)])
    chi2 = res.statistic
    rchi, rp = r(f"m<-matrix({rvec(m.flatten())},nrow={n},byrow=TRUE);f<-friedman.test(m);cat(f$statistic,f$p.value,'\\n')")
    assert abs(rchi - chi2) < 1e-9 * chi2 and abs(rp - res.pvalue) < 1e-9, name
    ranks = np.mean([st.rankdata(row) for row in m], axis=0)
    den = n * (k - 1) - chi2
    F = np.inf if den <= 1e-12 else (n - 1) * chi2 / den
    fp = 0.0 if np.isinf(F) else st.f.sf(F, k - 1, (k - 1) * (n - 1))
    scale = np.sqrt(k * (k + 1) / (6 * n))
    q = r(f"cat(qtukey(0.95,{k},Inf)/sqrt(2),'\\n')")[0]
    diffs = [ranks[i] - ranks[j] for i in range(k) for j in range(i + 1, k)]
    pp = r(f"cat(ptukey({rvec([abs(x) * np.sqrt(2) / scale for x in diffs])},{k},Inf,lower.tail=FALSE),'\\n')")
    emit(f"        // {name}")
    emit(f"        // scipy.stats.friedmanchisquare(*columns) -> ChiSquare, P (R's friedman.test(m) agrees); average ranks: scipy.stats.rankdata per row, mean over rows")
    emit(f"        // Iman-Davenport: F = (n-1) chi2 / (n (k-1) - chi2), scipy.stats.f.sf(F, k-1, (k-1)(n-1)) -> FP")
    emit(f"        // R: qtukey(0.95, k, Inf) / sqrt(2) -> Q; CD = Q sqrt(k (k+1) / (6 n)); pair p: ptukey(|diff| sqrt(2) / sqrt(k (k+1) / (6 n)), k, Inf, lower.tail=FALSE)")
    emit(f"        new(\"{name}\", [\n" + ",\n".join("            " + cs(row) for row in m) + "],\n            "
         f"ChiSquare: {g(chi2)}, P: {g(res.pvalue)}, AverageRanks: {cs(ranks)}, F: {g(F)}, FP: {g(fp)}, Q: {g(q)}, Cd: {g(q * scale)},\n            PairP: {cs(pp)}),")
emit("    ];\n")

# ---------- McNemar ----------
emit("    // R: mcnemar.test(matrix(c(n11, c, b, n22), 2), correct=TRUE) -> ChiSquare, ChiP; binom.test(b, b + c)$p.value -> ExactP")
emit("    public static readonly McNemarFixture[] McNemars =\n    [")
for b, c in [(10, 3), (25, 12), (5, 5), (0, 4), (40, 61), (1, 0)]:
    chi, chip, ex = r(f"t<-mcnemar.test(matrix(c(50,{c},{b},30),2),correct=TRUE);cat(t$statistic,t$p.value,binom.test({b},{b + c})$p.value,'\\n')")
    emit(f"        new(B: {b}, C: {c}, ChiSquare: {g(chi)}, ChiP: {g(chip)}, ExactP: {g(ex)}),")
emit("    ];\n")

# ---------- Studentized range ----------
qs = r("cat(qtukey(0.95, 2:10, Inf), '\\n')")
ps = r("cat(ptukey(c(1, 2.5, 3.3, 4, 5.5), 5, Inf), ptukey(c(0.5, 2, 3.6), 20, Inf), '\\n')")
emit("    // R: qtukey(0.95, 2:10, Inf) (k = 2..10)")
emit(f"    public static readonly double[] TukeyQ95 = {cs(qs)};\n")
emit("    // R: ptukey(c(1, 2.5, 3.3, 4, 5.5), 5, Inf), then ptukey(c(0.5, 2, 3.6), 20, Inf)")
emit(f"    public static readonly (double Q, int K, double P)[] TukeyCdf =\n    [" + ", ".join(
    f"({q}, {k}, {g(p)})" for (q, k), p in zip([(1, 5), (2.5, 5), (3.3, 5), (4, 5), (5.5, 5), (0.5, 20), (2, 20), (3.6, 20)], ps)) + "];")

rv = subprocess.run(["Rscript", "-e", "cat(R.version.string)"], capture_output=True, text=True).stdout
print(f"""// <auto-generated> by Reference/make_fixtures.py with SciPy {scipy.__version__} and {rv}. Do not edit; rerun the script. </auto-generated>
namespace Orchestrator.Reporting.Tests;

public sealed record PairedTTestFixture(string Name, double[] X, double[] Y, double Mean, double Sd, double T, int Df, double P, double CiLower, double CiUpper);

public sealed record WilcoxonFixture(string Name, double[] X, double[] Y, int N, int Zeros, double V, double P, bool Exact, double PNoCorrection);

public sealed record FriedmanFixture(string Name, double[][] Data, double ChiSquare, double P, double[] AverageRanks, double F, double FP, double Q, double Cd, double[] PairP);

public sealed record McNemarFixture(int B, int C, double ChiSquare, double ChiP, double ExactP);

public static class ReferenceFixtures
{{""")
print("\n".join(lines))
print("}")
