using Orchestrator.Domain.Data;
using Orchestrator.Domain.Randomness;

namespace Orchestrator.Engine.Datasets;

/// <summary>
/// Draws synthetic, CXR-like grayscale images (frontal view, image left = patient right) with one sign of each of
/// the seven <see cref="CxrClasses"/>. They are stand-ins for demos and tests, not medical images: the anatomy is a
/// handful of soft shapes and the signs are cartoon versions of what a radiologist looks for. Everything is drawn in
/// normalized coordinates, so any size works; position, scale, exposure and the sign's intensity and place vary
/// per image so that a classifier has to look at the lungs rather than at a fixed pixel.
/// </summary>
public static class SyntheticCxr
{
    public const int MinimumPerClass = 6;

    /// <summary>
    /// Images per class for a set of <paramref name="total"/> images: the paper's proportions (Table 1) by largest
    /// remainder, with every class raised to at least <see cref="MinimumPerClass"/> at the expense of the others.
    /// </summary>
    public static int[] ClassCounts(int total)
    {
        var classes = CxrClasses.PaperCounts.Count;
        if (total < MinimumPerClass * classes)
            throw new ArgumentOutOfRangeException(nameof(total), total,
                $"a synthetic set needs at least {MinimumPerClass * classes} images ({MinimumPerClass} per class)");

        var pinned = new bool[classes];
        while (true)
        {
            var free = Enumerable.Range(0, classes).Where(c => !pinned[c]).ToArray();
            var parts = Apportion.LargestRemainder(
                total - MinimumPerClass * (classes - free.Length),
                free.Select(c => (double)CxrClasses.PaperCounts[c]).ToArray());
            var counts = new int[classes];
            for (var c = 0; c < classes; c++) counts[c] = MinimumPerClass;
            for (var k = 0; k < free.Length; k++) counts[free[k]] = parts[k];

            var low = free.Where(c => counts[c] < MinimumPerClass).ToArray();
            if (low.Length == 0) return counts;
            foreach (var c in low) pinned[c] = true;
        }
    }

    /// <summary>A new <paramref name="size"/> x <paramref name="size"/> image, row-major, one byte per pixel.</summary>
    public static byte[] Render(int label, int size, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        var pixels = new byte[size * size];
        Render(label, size, seed, pixels);
        return pixels;
    }

    /// <summary>Draws into <paramref name="destination"/> (size * size bytes); the same arguments give the same bytes.</summary>
    public static void Render(int label, int size, ulong seed, Span<byte> destination)
    {
        if ((uint)label >= (uint)CxrClasses.Names.Count)
            throw new ArgumentOutOfRangeException(nameof(label), label, $"label must be in [0, {CxrClasses.Names.Count})");
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        if (destination.Length != size * size)
            throw new ArgumentException($"destination must hold {size * size} bytes, not {destination.Length}", nameof(destination));

        var scene = new Scene(label, seed);
        var rng = new SplitMix64(SplitMix64.Derive(seed, 2));
        var noiseSigma = rng.NextDouble(0.015, 0.035);
        for (var row = 0; row < size; row++)
        {
            for (var col = 0; col < size; col++)
            {
                var a = scene.Attenuation((col + 0.5) / size, (row + 0.5) / size);
                a += noiseSigma * rng.NextGaussian();
                destination[row * size + col] = scene.Expose(a);
            }
        }
    }

    private static double Smooth(double t) => t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);

    private static double SmoothStep(double edge0, double edge1, double x) => Smooth((x - edge0) / (edge1 - edge0));

    /// <summary>Soft inside-ness of a signed distance (positive inside) with a ramp of width <paramref name="soft"/>.</summary>
    private static double Inside(double distance, double soft) => Smooth(0.5 + distance / soft);

    private static double Gauss(double d, double sigma) => Math.Exp(-(d * d) / (sigma * sigma));

    /// <summary>Smooth value noise in [0, 1] on a unit lattice.</summary>
    private static double ValueNoise(ulong seed, double x, double y)
    {
        var ix = (long)Math.Floor(x);
        var iy = (long)Math.Floor(y);
        var fx = Smooth(x - ix);
        var fy = Smooth(y - iy);
        var n00 = Lattice(seed, ix, iy);
        var n10 = Lattice(seed, ix + 1, iy);
        var n01 = Lattice(seed, ix, iy + 1);
        var n11 = Lattice(seed, ix + 1, iy + 1);
        return (n00 + (n10 - n00) * fx) + ((n01 + (n11 - n01) * fx) - (n00 + (n10 - n00) * fx)) * fy;
    }

    private static double Lattice(ulong seed, long x, long y) =>
        (SplitMix64.Mix(seed ^ SplitMix64.Mix(unchecked((ulong)x * 0x9E3779B97F4A7C15UL + (ulong)y * 0xC2B2AE3D27D4EB4FUL))) >> 11)
        * (1.0 / (1UL << 53));

    /// <summary>A line segment with a brightness profile that tapers from its start to its end.</summary>
    private readonly record struct Segment(double X0, double Y0, double X1, double Y1, double Width0, double Width1, double Amp0, double Amp1)
    {
        public double Sample(double x, double y)
        {
            var reach = 3 * Math.Max(Width0, Width1);
            if (x < Math.Min(X0, X1) - reach || x > Math.Max(X0, X1) + reach
                || y < Math.Min(Y0, Y1) - reach || y > Math.Max(Y0, Y1) + reach)
                return 0;
            double dx = X1 - X0, dy = Y1 - Y0;
            var t = Math.Clamp(((x - X0) * dx + (y - Y0) * dy) / (dx * dx + dy * dy), 0, 1);
            double px = X0 + t * dx - x, py = Y0 + t * dy - y;
            return (Amp0 + (Amp1 - Amp0) * t) * Gauss(Math.Sqrt(px * px + py * py), Width0 + (Width1 - Width0) * t);
        }
    }

    /// <summary>Where a point lies in one lung: how much inside (0..1), across (u: 0 medial, 1 lateral wall), down (v: 0 apex, 1 base).</summary>
    private readonly record struct LungPoint(double Mask, double U, double V);

    /// <summary>One lung field: narrow at the apex, widest at the base, with a domed hemidiaphragm.</summary>
    private sealed class Lung(double side, double medial, double width, double top, double bottom)
    {
        public double Side { get; } = side; // -1: image left (patient right), +1: image right
        public double Medial { get; } = medial;
        public double Width { get; } = width;
        public double Top { get; } = top;
        public double Bottom { get; } = bottom;

        public double WidthAt(double v) => Width * (0.3 + 0.7 * Math.Sqrt(Math.Clamp(v / 0.8, 0, 1)));

        public (double X, double Y) At(double u, double v) => (Medial + Side * u * WidthAt(v), Top + v * (Bottom - Top));

        public (double X, double Y) Hilum => At(0.12, 0.42);

        public LungPoint Sample(double x, double y)
        {
            var height = Bottom - Top;
            var v = (y - Top) / height;
            var w = WidthAt(v);
            var d = Side * (x - Medial);
            var u = d / w;
            var dome = 1 - 0.10 * Math.Sin(Math.PI * Math.Clamp(u, 0, 1) * 0.85);
            const double soft = 0.014;
            var mask = Inside(d, soft) * Inside(w - d, soft) * Inside((v - 0.12 * u * u) * height, soft) * Inside((dome - v) * height, soft);
            return new LungPoint(mask, u, v);
        }
    }

    /// <summary>All per-image random choices, drawn once; <see cref="Attenuation"/> then shades any point.</summary>
    private sealed class Scene
    {
        private readonly int _label;
        private readonly double _cos, _sin, _dx, _dy, _scale;
        private readonly double _contrast, _brightness, _gamma;
        private readonly double _tissue, _lungDepth, _mediastinum, _ribSpacing, _ribPhase, _ribAmp;
        private readonly double _heartX, _heartY, _heartRx, _heartRy;
        private readonly ulong _noiseSeed, _patchSeed;
        private readonly Lung[] _lungs;
        private readonly List<Segment>[] _vessels;
        private readonly Segment[] _clavicles;

        // Sign parameters; which ones are used depends on the label.
        private readonly int _signLung;
        private readonly List<(double X, double Y, double Rx, double Ry, double Amp, int Lung)> _blobs = [];
        private readonly double _hazeAmp, _fluidLevel, _meniscus, _fluidAmp, _ptxEdge, _ptxDark, _ptxLine;
        private readonly double _haloSigma, _haloAmp;
        private readonly bool _upperLobe;
        private readonly double _wedgeU, _wedgeV, _wedgeAmp;
        private readonly bool _bilateralEffusion;
        private readonly double _secondFluidLevel;

        /// <remarks>
        /// Anatomy, sign and pixel noise come from separate streams of the seed, so one seed gives the same patient
        /// and noise under every label: images that differ only by their sign (and the anatomy that sign changes).
        /// </remarks>
        public Scene(int label, ulong seed)
        {
            var rng = new SplitMix64(SplitMix64.Derive(seed, 0));
            var sign = new SplitMix64(SplitMix64.Derive(seed, 1));
            _label = label;
            var angle = rng.NextDouble(-4, 4) * Math.PI / 180;
            (_cos, _sin) = (Math.Cos(angle), Math.Sin(angle));
            _dx = Math.Clamp(0.02 * rng.NextGaussian(), -0.045, 0.045);
            _dy = Math.Clamp(0.02 * rng.NextGaussian(), -0.045, 0.045);
            _scale = rng.NextDouble(0.9, 1.06);
            _contrast = rng.NextDouble(0.85, 1.2);
            _brightness = rng.NextDouble(-0.06, 0.06);
            _gamma = rng.NextDouble(0.85, 1.15);
            _tissue = rng.NextDouble(0.5, 0.6);
            _lungDepth = rng.NextDouble(0.3, 0.38);
            _mediastinum = rng.NextDouble(0.14, 0.22);
            _ribSpacing = rng.NextDouble(0.058, 0.07);
            _ribPhase = rng.NextDouble();
            _ribAmp = rng.NextDouble(0.03, 0.06);
            _noiseSeed = rng.NextUInt64();
            _patchSeed = rng.NextUInt64();

            var center = 0.5 + 0.01 * rng.NextGaussian();
            var halfMediastinum = rng.NextDouble(0.065, 0.08);
            var width = rng.NextDouble(0.22, 0.26);
            var top = rng.NextDouble(0.14, 0.19);
            var bottomRight = rng.NextDouble(0.74, 0.8);
            var bottomLeft = bottomRight + rng.NextDouble(0, 0.03);
            _heartRx = rng.NextDouble(0.13, 0.15);
            _heartRy = rng.NextDouble(0.12, 0.14);

            // Signs that change the anatomy itself are drawn before the lungs are built.
            _signLung = sign.NextInt(2);
            if (label == 5)
            {
                _heartRx *= sign.NextDouble(1.35, 1.55);
                _heartRy *= sign.NextDouble(1.15, 1.3);
            }
            if (label == 6)
            {
                var side = _signLung == 0 ? -1.0 : 1.0;
                center += side * sign.NextDouble(0.045, 0.07);
                var lift = sign.NextDouble(0.08, 0.12);
                if (_signLung == 0) bottomRight -= lift; else bottomLeft -= lift;
            }

            _lungs =
            [
                new Lung(-1, center - halfMediastinum, width * (label == 6 && _signLung == 0 ? 0.9 : 1), top, bottomRight),
                new Lung(+1, center + halfMediastinum, width * (label == 6 && _signLung == 1 ? 0.9 : 1), top + 0.01, bottomLeft),
            ];
            _heartX = center + rng.NextDouble(0.05, 0.07);
            _heartY = bottomRight - rng.NextDouble(0.1, 0.13);

            _vessels = new List<Segment>[2];
            var vesselBoost = label == 5 ? 1.6 : 1.0;
            for (var l = 0; l < 2; l++)
            {
                _vessels[l] = [];
                var lung = _lungs[l];
                var (hx, hy) = lung.Hilum;
                var count = 7 + rng.NextInt(3);
                for (var k = 0; k < count; k++)
                {
                    var theta = (-70 + 140 * (k + rng.NextDouble(0.2, 0.8)) / count) * Math.PI / 180;
                    var length = rng.NextDouble(0.12, 0.22);
                    var x1 = hx + lung.Side * Math.Cos(theta) * length;
                    var y1 = hy + Math.Sin(theta) * length * 1.3;
                    _vessels[l].Add(new Segment(hx, hy, x1, y1, 0.011, 0.004, 0.075 * vesselBoost, 0.01));
                }
            }
            _clavicles =
            [
                new Segment(center - 0.04, top + 0.03, center - 0.3, top - 0.05, 0.016, 0.013, 0.12, 0.1),
                new Segment(center + 0.04, top + 0.03, center + 0.3, top - 0.05, 0.016, 0.013, 0.12, 0.1),
            ];

            switch (label)
            {
                case 0: // pneumonia: one or two patchy consolidations in one lung
                    for (int k = 0, n = 1 + (sign.NextDouble() < 0.4 ? 1 : 0); k < n; k++)
                        AddBlob(ref sign, _signLung, u: (0.25, 0.75), v: (0.35, 0.85), r: (0.08, 0.12), amp: (0.3, 0.45));
                    break;
                case 1: // COVID-19: bilateral, peripheral, lower-zone ground glass
                    _hazeAmp = sign.NextDouble(0.12, 0.18);
                    for (var l = 0; l < 2; l++)
                        for (int k = 0, n = 2 + sign.NextInt(3); k < n; k++)
                            AddBlob(ref sign, l, u: (0.6, 0.95), v: (0.35, 0.95), r: (0.06, 0.1), amp: (0.12, 0.2));
                    break;
                case 2: // tuberculosis: upper-lobe cavities, sometimes both sides
                    for (int k = 0, n = 1 + (sign.NextDouble() < 0.35 ? 1 : 0); k < n; k++)
                        AddBlob(ref sign, k == 0 ? _signLung : 1 - _signLung, u: (0.3, 0.75), v: (0.12, 0.35), r: (0.045, 0.065), amp: (0.25, 0.35));
                    _hazeAmp = sign.NextDouble(0.04, 0.09);
                    break;
                case 3: // pleural effusion: fluid at a base with a meniscus rising to the lateral wall
                    _fluidLevel = sign.NextDouble(0.5, 0.72);
                    _meniscus = sign.NextDouble(0.08, 0.18);
                    _fluidAmp = _lungDepth * sign.NextDouble(0.7, 0.95);
                    _bilateralEffusion = sign.NextDouble() < 0.2;
                    _secondFluidLevel = sign.NextDouble(0.85, 0.93);
                    break;
                case 4: // pneumothorax: visceral pleural line, no markings and darker lateral to it
                    _ptxEdge = sign.NextDouble(0.35, 0.6);
                    _ptxDark = sign.NextDouble(0.15, 0.22);
                    _ptxLine = sign.NextDouble(0.2, 0.3);
                    break;
                case 5: // pulmonary edema: perihilar bat-wing haze (plus the enlarged heart above)
                    _haloSigma = sign.NextDouble(0.11, 0.15);
                    _haloAmp = sign.NextDouble(0.25, 0.35);
                    break;
                case 6: // atelectasis: a collapsed, dense lobe (plus the shift and lifted hemidiaphragm above)
                    _upperLobe = sign.NextDouble() < 0.6;
                    _wedgeU = sign.NextDouble(0.45, 0.75);
                    _wedgeV = sign.NextDouble(0.4, 0.5);
                    _wedgeAmp = sign.NextDouble(0.35, 0.45);
                    break;
            }
        }

        private void AddBlob(ref SplitMix64 sign, int lung, (double Lo, double Hi) u, (double Lo, double Hi) v,
            (double Lo, double Hi) r, (double Lo, double Hi) amp)
        {
            var (x, y) = _lungs[lung].At(sign.NextDouble(u.Lo, u.Hi), sign.NextDouble(v.Lo, v.Hi));
            var rx = sign.NextDouble(r.Lo, r.Hi);
            _blobs.Add((x, y, rx, rx * sign.NextDouble(0.75, 1.3), sign.NextDouble(amp.Lo, amp.Hi), lung));
        }

        public byte Expose(double a)
        {
            var e = Math.Clamp((a - 0.45) * _contrast + 0.45 + _brightness, 0, 1);
            return (byte)Math.Round(255 * Math.Pow(e, _gamma));
        }

        /// <summary>X-ray attenuation (bright = dense) at image point (x, y) in [0, 1]^2, before noise and exposure.</summary>
        public double Attenuation(double x, double y)
        {
            // Image point -> anatomy frame (undo the per-image shift, rotation and scale).
            double cx = x - 0.5 - _dx, cy = y - 0.5 - _dy;
            var ax = 0.5 + (_cos * cx + _sin * cy) / _scale;
            var ay = 0.5 + (-_sin * cx + _cos * cy) / _scale;

            var body = Inside(1 - Math.Pow(Math.Pow(Math.Abs(ax - 0.5) / 0.47, 3) + Math.Pow(Math.Abs(ay - 0.66) / 0.64, 2.2), 0.4), 0.05)
                       * Inside(ay - 0.03, 0.04);
            var a = 0.06 + body * (_tissue - 0.06);

            var p0 = _lungs[0].Sample(ax, ay);
            var p1 = _lungs[1].Sample(ax, ay);
            var lungs = Math.Min(1, p0.Mask + p1.Mask);
            var mid = (_lungs[0].Medial + _lungs[1].Medial) / 2;
            var lateral = Math.Abs(ax - mid);

            // Mediastinum, spine and the dense abdomen below the domes: all tissue brighter than the shoulders.
            var halfGap = (_lungs[1].Medial - _lungs[0].Medial) / 2;
            var mediastinum = Inside(halfGap + 0.01 + 0.04 * ay - lateral, 0.03) * Inside(ay - 0.06, 0.05);
            var abdomen = Inside(ay - Math.Min(_lungs[0].Bottom, _lungs[1].Bottom) + 0.1, 0.1);
            a += _mediastinum * Math.Max(mediastinum, abdomen) * body * (1 - lungs);
            a += 0.05 * Inside(0.022 - lateral, 0.01) * (0.6 + 0.4 * Math.Cos(2 * Math.PI * ay / 0.045)) * body;

            a -= _lungDepth * lungs;
            a += 0.06 * Math.Max(Gauss(Dist(ax, ay, _lungs[0].Hilum), 0.035), Gauss(Dist(ax, ay, _lungs[1].Hilum), 0.035)) * lungs;

            for (var l = 0; l < 2; l++)
            {
                var p = l == 0 ? p0 : p1;
                if (p.Mask <= 0) continue;
                var markings = 0.0;
                foreach (var vessel in _vessels[l]) markings = Math.Max(markings, vessel.Sample(ax, ay));
                if (markings > 1e-4)
                    a += p.Mask * markings * MarkingsFactor(l, p) * (0.7 + 0.6 * ValueNoise(_patchSeed ^ 1, ax * 30, ay * 30));
            }

            // Ribs: curved bands across the chest, clearer over the lungs.
            var ribY = ay - 0.12 * lateral + 0.5 * Sq(lateral - 0.12);
            var ribWave = 0.5 + 0.5 * Math.Cos(2 * Math.PI * (ribY / _ribSpacing + _ribPhase));
            var rib = Sq(ribWave * ribWave * ribWave)
                      * Inside(ay - 0.12, 0.03) * Inside(0.8 - ay, 0.05);
            a += rib * _ribAmp * (0.35 * body + 0.65 * lungs);

            // The sign lies behind the heart, which hides part of it as it would on a film.
            a += Sign(ax, ay, p0, p1);
            var heart = Inside(1 - Math.Sqrt(Sq((ax - _heartX) / _heartRx) + Sq((ay - _heartY) / _heartRy)), 0.15);
            a += (_tissue + _mediastinum - a) * 0.9 * heart;
            a += Math.Max(_clavicles[0].Sample(ax, ay), _clavicles[1].Sample(ax, ay)) * body;

            return a + 0.035 * (ValueNoise(_noiseSeed, ax * 6, ay * 6) - 0.5);
        }

        private double MarkingsFactor(int lung, LungPoint p)
        {
            if (_label != 4 || lung != _signLung) return 1;
            return 1 - SmoothStep(-0.02, 0.02, p.U - PneumothoraxEdge(p.V));
        }

        private double PneumothoraxEdge(double v) => _ptxEdge + (1.05 - _ptxEdge) * SmoothStep(0.55, 0.98, v);

        private double Sign(double ax, double ay, LungPoint p0, LungPoint p1)
        {
            var s = 0.0;
            if (p0.Mask <= 0 && p1.Mask <= 0) return s;
            var patch = 0.55 + 0.45 * ValueNoise(_patchSeed, ax * 22, ay * 22);
            foreach (var (bx, by, rx, ry, amp, lung) in _blobs)
            {
                var r = Math.Sqrt(Sq((ax - bx) / rx) + Sq((ay - by) / ry));
                var mask = (lung == 0 ? p0 : p1).Mask;
                if (_label == 2)
                {
                    // A cavity: a thick bright wall around a dark, air-filled centre.
                    s += mask * (amp * Gauss(r - 1, 0.38) - 0.6 * amp * (1 - SmoothStep(0.4, 0.8, r)));
                }
                else if (r < 1.6)
                {
                    // Ragged edge and uneven density, so it reads as a patch rather than a disc.
                    var ragged = r + 0.5 * (ValueNoise(_patchSeed ^ 2, ax * 14, ay * 14) - 0.5);
                    s += mask * amp * (1 - SmoothStep(0.35, 1.05, ragged)) * patch;
                }
            }

            switch (_label)
            {
                case 1:
                    foreach (var p in (ReadOnlySpan<LungPoint>)[p0, p1])
                        s += p.Mask * _hazeAmp * SmoothStep(0.5, 0.95, p.U) * SmoothStep(0.3, 0.7, p.V) * patch;
                    break;
                case 2:
                {
                    var p = _signLung == 0 ? p0 : p1;
                    s += p.Mask * _hazeAmp * (1 - SmoothStep(0.3, 0.5, p.V)) * Smooth(2 * patch - 1.1);
                    break;
                }
                case 3:
                {
                    var p = _signLung == 0 ? p0 : p1;
                    s += Fluid(p, _fluidLevel, _meniscus, _fluidAmp);
                    if (_bilateralEffusion)
                        s += Fluid(_signLung == 0 ? p1 : p0, _secondFluidLevel, _meniscus * 0.6, _fluidAmp * 0.8);
                    break;
                }
                case 4:
                {
                    var p = _signLung == 0 ? p0 : p1;
                    var lung = _lungs[_signLung];
                    var edge = PneumothoraxEdge(p.V);
                    var beyond = SmoothStep(-0.02, 0.02, p.U - edge);
                    var lineDistance = (p.U - edge) * lung.WidthAt(p.V);
                    s += p.Mask * (-_ptxDark * beyond + 0.03 * (1 - beyond)
                                   + _ptxLine * Gauss(lineDistance, 0.008) * (1 - SmoothStep(0.85, 0.95, p.V)));
                    break;
                }
                case 5:
                    for (var l = 0; l < 2; l++)
                    {
                        var p = l == 0 ? p0 : p1;
                        s += p.Mask * _haloAmp * Gauss(Dist(ax, ay, _lungs[l].Hilum), _haloSigma) * (0.6 + 0.4 * patch);
                    }
                    break;
                case 6:
                {
                    var p = _signLung == 0 ? p0 : p1;
                    // Distance inside a triangle against the mediastinum: upper lobe (apex to hilum) or lower lobe (hilum to base).
                    var inside = _upperLobe
                        ? Math.Min(_wedgeV - p.V, _wedgeU * (1 - p.V / _wedgeV) - p.U)
                        : Math.Min(p.V - _wedgeV, _wedgeU * (p.V - _wedgeV) / (1 - _wedgeV) - p.U);
                    s += p.Mask * _wedgeAmp * Inside(inside, 0.06);
                    break;
                }
            }
            return s;
        }

        private double Fluid(LungPoint p, double level, double meniscus, double amp)
        {
            var surface = level - meniscus * Sq(Math.Clamp(p.U, 0, 1));
            return p.Mask * amp * SmoothStep(-0.03, 0.02, p.V - surface);
        }

        private static double Sq(double x) => x * x;

        private static double Dist(double x, double y, (double X, double Y) p) => Math.Sqrt(Sq(x - p.X) + Sq(y - p.Y));
    }
}
