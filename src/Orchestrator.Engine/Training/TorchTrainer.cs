using Orchestrator.Domain.Training;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine.Training;

/// <summary>
/// <see cref="ITrainer"/> over the native libtorch engine. Not thread-safe: one caller at a time.
/// Checkpoint files are written atomically by the engine; their SHA-256 is computed and verified here.
/// </summary>
public sealed unsafe class TorchTrainer : ITrainer
{
    private readonly TrainerHandle _handle;

    private TorchTrainer(TrainerOptions options, TrainerHandle handle, int groupCount, int featureDimension)
    {
        Options = options;
        _handle = handle;
        GroupCount = groupCount;
        FeatureDimension = featureDimension;
    }

    public TrainerOptions Options { get; }
    public int GroupCount { get; }
    /// <summary>Width of the pooled backbone output that feeds the head.</summary>
    public int FeatureDimension { get; }

    /// <summary>Builds the model with seeded random initialization; only the head is trainable (m = 0).
    /// <see cref="TrainerOptions.Threads"/> &gt; 0 fixes the threads each of its passes uses.</summary>
    public static TorchTrainer Create(TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Architecture);
        UseOwnThreadCount(options);
        Models.Onnx.ModelLibrary.EnsureEngineKnows();
        NativeMethods.Check(NativeMethods.ote_trainer_create(options.Architecture, options.NumClasses, options.InputSize,
            options.Optimizer.Native(), options.LearningRate, options.Seed, options.Device.ToString(), out var handle));
        try
        {
            if (options.FeatureCache is { } cache)
                NativeMethods.Check(NativeMethods.ote_trainer_set_feature_cache(handle, 1, cache.MemoryBytes, cache.SpillDirectory));
            NativeMethods.Check(NativeMethods.ote_trainer_group_count(handle, out var groups));
            NativeMethods.Check(NativeMethods.ote_trainer_feature_dim(handle, out var dim));
            return new TorchTrainer(options, handle, groups, dim);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void ConfigureInput(IPackedDataset data, IReadOnlyList<int> trainIndices, InputSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var normalization = settings.Normalization.Native();
        var (mean, std) = settings.Normalization == Normalization.ZScore
            ? Native(data).PixelStatistics(trainIndices.ToArray())
            : (0.0, 1.0);
        var flags = settings.AugmentClasses.Select(a => a ? (byte)1 : (byte)0).ToArray();
        fixed (byte* f = flags)
            NativeMethods.Check(NativeMethods.ote_trainer_set_input(_handle, normalization, (float)mean, (float)std, f,
                flags.Length, settings.Seed));
    }

    public void BeginEpoch(int epoch) => NativeMethods.Check(NativeMethods.ote_trainer_set_epoch(_handle, epoch));

    /// <summary>
    /// The network input for <paramref name="indices"/> (n x 3 x InputSize x InputSize floats, NCHW) as a training
    /// batch at <paramref name="firstPosition"/> of the epoch (<paramref name="augment"/>) or as evaluation sees it.
    /// </summary>
    public float[] PrepareBatch(IPackedDataset data, ReadOnlySpan<int> indices, bool augment, long firstPosition = 0)
    {
        UseOwnThreadCount(Options);
        var output = new float[(long)indices.Length * 3 * Options.InputSize * Options.InputSize];
        fixed (int* idx = indices)
        fixed (float* o = output)
            NativeMethods.Check(NativeMethods.ote_trainer_prepare_batch(_handle, Native(data).Handle, idx, indices.Length,
                augment ? 1 : 0, firstPosition, o));
        return output;
    }

    public void SetTrainable(int unfrozenGroups) =>
        NativeMethods.Check(NativeMethods.ote_trainer_set_trainable(_handle, unfrozenGroups));

    public void SetTrainableGroups(GroupSet groups, double learningRate, double discriminative)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var indices = groups.Indices.ToArray();
        fixed (int* g = indices)
            NativeMethods.Check(NativeMethods.ote_trainer_set_trainable_groups(_handle, g, indices.Length, learningRate, discriminative));
    }

    public void SetBatchNormUpdates(bool update) =>
        NativeMethods.Check(NativeMethods.ote_trainer_set_batchnorm_updates(_handle, update ? 1 : 0));

    public void SetLearningRate(double learningRate) =>
        NativeMethods.Check(NativeMethods.ote_trainer_set_lr(_handle, learningRate));

    public double LearningRate
    {
        get
        {
            NativeMethods.Check(NativeMethods.ote_trainer_get_lr(_handle, out var lr));
            return lr;
        }
    }

    public void ResetOptimizer() => NativeMethods.Check(NativeMethods.ote_trainer_reset_optimizer(_handle));

    public double TrainEpoch(IPackedDataset data, ReadOnlySpan<int> sampleOrder, ReadOnlySpan<float> classWeights,
        int batchSize, Action<BatchProgress>? progress, CancellationToken ct)
    {
        UseOwnThreadCount(Options);
        var dataset = Native(data);
        using var call = new NativeCall(progress, ct);
        double loss;
        int status;
        fixed (int* order = sampleOrder)
        fixed (float* weights = classWeights)
            status = NativeMethods.ote_trainer_train_epoch(_handle, dataset.Handle, order, sampleOrder.Length, weights,
                classWeights.Length, batchSize, call.Callback, call.User, call.CancelFlag, out loss);
        call.Complete(status);
        return loss;
    }

    public EvaluationResult Evaluate(IPackedDataset data, ReadOnlySpan<int> indices, ReadOnlySpan<float> classWeights,
        int batchSize, Action<BatchProgress>? progress, CancellationToken ct)
    {
        UseOwnThreadCount(Options);
        var dataset = Native(data);
        var classes = Options.NumClasses;
        var predictions = new int[indices.Length];
        var flat = new float[indices.Length * classes];
        using var call = new NativeCall(progress, ct);
        double loss;
        int status;
        fixed (int* idx = indices)
        fixed (float* weights = classWeights)
        fixed (int* pred = predictions)
        fixed (float* probs = flat)
            status = NativeMethods.ote_trainer_evaluate(_handle, dataset.Handle, idx, indices.Length, weights,
                classWeights.Length, batchSize, call.Callback, call.User, call.CancelFlag, out loss, pred, probs);
        call.Complete(status);
        var probabilities = new float[indices.Length][];
        for (var i = 0; i < probabilities.Length; i++)
            probabilities[i] = flat.AsSpan(i * classes, classes).ToArray();
        return new EvaluationResult(loss, predictions, probabilities);
    }

    public void CalibrateBatchNorm(IPackedDataset data, ReadOnlySpan<int> indices, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct)
    {
        UseOwnThreadCount(Options);
        var dataset = Native(data);
        using var call = new NativeCall(progress, ct);
        int status;
        fixed (int* idx = indices)
            status = NativeMethods.ote_trainer_calibrate_batchnorm(_handle, dataset.Handle, idx, indices.Length, batchSize,
                call.Callback, call.User, call.CancelFlag);
        call.Complete(status);
    }

    /// <summary>
    /// libtorch's OpenMP thread count is a per-OS-thread setting, and an awaiting caller resumes on whichever
    /// pool thread is free; set before every pass, so each pass runs with this trainer's threads. Otherwise two
    /// worker slots can each spread over every core (oversubscribed, slow) and results vary between runs.
    /// </summary>
    private static void UseOwnThreadCount(TrainerOptions options)
    {
        if (options.Threads > 0) EngineInfo.SetThreads(options.Threads);
    }

    public FeatureCacheCounters TakeFeatureCacheCounters()
    {
        NativeMethods.Check(NativeMethods.ote_trainer_take_cache_counters(_handle, out var hits, out var misses));
        return new FeatureCacheCounters(hits, misses);
    }

    /// <summary>Diagnostic: the stage of the backbone's chain where the trainable part begins (0: nothing frozen;
    /// <c>Stages + 1</c>: the whole backbone and its pooling frozen), and the number of stages.</summary>
    public (int Split, int Stages) FrozenPrefix
    {
        get
        {
            NativeMethods.Check(NativeMethods.ote_trainer_split(_handle, out var split, out var stages));
            return (split, stages);
        }
    }

    public void RememberBest() => NativeMethods.Check(NativeMethods.ote_trainer_remember_best(_handle));

    public void RestoreBest() => NativeMethods.Check(NativeMethods.ote_trainer_restore_best(_handle));

    public string SaveCheckpoint(string path, int epoch)
    {
        ArgumentNullException.ThrowIfNull(path);
        NativeMethods.Check(NativeMethods.ote_trainer_save_checkpoint(_handle, Path.GetFullPath(path), epoch));
        return Sha256Of(path);
    }

    public int LoadCheckpoint(string path, string expectedSha256)
    {
        Verify(path, expectedSha256, "checkpoint");
        NativeMethods.Check(NativeMethods.ote_trainer_load_checkpoint(_handle, Path.GetFullPath(path), out var epoch));
        return epoch;
    }

    public string SaveBest(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        NativeMethods.Check(NativeMethods.ote_trainer_save_best(_handle, Path.GetFullPath(path)));
        return Sha256Of(path);
    }

    public CheckpointImage? CaptureCheckpoint(int epoch) =>
        Captured(NativeMethods.ote_trainer_capture_checkpoint(_handle, epoch, out var bytes), bytes);

    public CheckpointImage? CaptureBest() => Captured(NativeMethods.ote_trainer_capture_best(_handle, out var bytes), bytes);

    /// <summary>Copies the engine's bytes into managed memory and frees them. Null past the largest managed array
    /// (2 GB): such a checkpoint is saved by the engine on its own thread instead.</summary>
    private static CheckpointImage? Captured(int status, nint native)
    {
        NativeMethods.Check(status);
        return Taken(native) is { } bytes ? new CheckpointImage(bytes) : null;
    }

    /// <summary>The engine's bytes copied into managed memory, then freed; null past the largest managed array.</summary>
    private static byte[]? Taken(nint native)
    {
        try
        {
            var size = NativeMethods.ote_bytes_size(native);
            if (size > Array.MaxLength) return null;
            var bytes = new byte[size];
            Marshal.Copy(NativeMethods.ote_bytes_data(native), bytes, 0, (int)size);
            return bytes;
        }
        finally
        {
            NativeMethods.ote_bytes_free(native);
        }
    }

    /// <summary>The eval-mode forward (normalized N x 3 x InputSize x InputSize input to N x NumClasses logits) as ONNX
    /// operators, traced by the engine: the text of native/README.md ("Export") and the initializers it names, a raw
    /// tensor file (OTERAW01). <see cref="Models.Onnx.OnnxExport"/> writes them as an ONNX model.</summary>
    public (string Graph, byte[] Tensors) ExportGraph()
    {
        NativeMethods.Check(NativeMethods.ote_trainer_export_graph(_handle, out var graph, out var tensors));
        var text = Taken(graph);
        var raw = Taken(tensors);
        return text is null || raw is null
            ? throw new InvalidOperationException("the exported model is larger than 2 GB")
            : (System.Text.Encoding.UTF8.GetString(text), raw);
    }

    /// <summary>Why torchvision has no model that <c>torchvision.models.ARCH(num_classes=C)</c> builds to compute
    /// exactly this architecture's eval forward on inputs of side <paramref name="inputSize"/> (for xception: timm's
    /// <c>legacy_xception(num_classes=C)</c>); null when it has one (then <see cref="ExportStateDict"/> works).</summary>
    public static string? TorchvisionRefusal(string architecture, int inputSize)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        Models.Onnx.ModelLibrary.EnsureEngineKnows();
        var buffer = stackalloc byte[1024];
        NativeMethods.Check(NativeMethods.ote_torchvision_refusal(architecture, inputSize, buffer, 1024));
        var why = new string((sbyte*)buffer);
        return why.Length == 0 ? null : why;
    }

    /// <summary>Writes to <paramref name="destination"/>, as the engine produces it, a file torch.load reads as a
    /// dict: every tensor under torchvision's name (the head as torchvision's classifier, torchvision's layers the net
    /// lacks set so that its eval forward is the net's). Refused (<see cref="EngineException"/> with InvalidInput)
    /// where <see cref="TorchvisionRefusal"/> says why. vgg16's file is about 540 MB, mostly its classifier.</summary>
    public void ExportStateDict(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var sink = new NativeSink(destination);
        sink.Complete(NativeMethods.ote_trainer_export_state_dict(_handle, &NativeSink.Write, sink.User));
    }

    public void LoadBest(string path, string expectedSha256)
    {
        Verify(path, expectedSha256, "best-weights file");
        NativeMethods.Check(NativeMethods.ote_trainer_load_best(_handle, Path.GetFullPath(path)));
    }

    /// <summary>Loads backbone weights, before training, from a weights file that <c>orchestrator model import</c>
    /// (or <see cref="Models.BackboneWeights.Save"/>) wrote, from a flat PyTorch state dict, or from the engine's raw
    /// tensor file (OTERAW01, format in native/README.md). Every backbone parameter and BatchNorm running statistic
    /// must be present with its shape; a file of another architecture is refused (<see cref="EngineException"/>
    /// with InvalidInput). The head stays as initialized; an ImageNet classifier in the file is not used.
    /// Returns the number of backbone tensors loaded.</summary>
    public int LoadBackboneWeights(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        NativeMethods.Check(NativeMethods.ote_trainer_load_backbone(_handle, Path.GetFullPath(path), out var loaded));
        return loaded;
    }

    /// <summary>Eval-mode backbone + global average pooling of an already normalized N x 3 x H x W input;
    /// returns N x <see cref="FeatureDimension"/> values, row-major.</summary>
    public float[] Features(ReadOnlySpan<float> input, int n, int height, int width) =>
        Forward(input, n, height, width, logits: false);

    /// <summary>Eval-mode logits of the whole net (backbone, pooling, head) on an already normalized N x 3 x H x W
    /// input; returns N x NumClasses values, row-major.</summary>
    public float[] Logits(ReadOnlySpan<float> input, int n, int height, int width) =>
        Forward(input, n, height, width, logits: true);

    private float[] Forward(ReadOnlySpan<float> input, int n, int height, int width, bool logits)
    {
        if (input.Length != n * 3 * height * width)
            throw new ArgumentException($"input has {input.Length} values, expected {n} x 3 x {height} x {width}", nameof(input));
        var output = new float[n * (logits ? Options.NumClasses : FeatureDimension)];
        fixed (float* i = input)
        fixed (float* o = output)
            NativeMethods.Check(logits
                ? NativeMethods.ote_trainer_logits(_handle, i, n, 3, height, width, o)
                : NativeMethods.ote_trainer_features(_handle, i, n, 3, height, width, o));
        return output;
    }

    /// <summary>Diagnostic: a checksum of the parameters of backbone group <paramref name="group"/>
    /// (0 shallowest .. GroupCount-1), or of the head when group == GroupCount.</summary>
    public double ParameterChecksum(int group)
    {
        NativeMethods.Check(NativeMethods.ote_trainer_param_checksum(_handle, group, out var sum));
        return sum;
    }

    /// <summary>Diagnostic: a checksum of the BatchNorm running statistics of one group.</summary>
    public double BatchNormStatisticsChecksum(int group)
    {
        NativeMethods.Check(NativeMethods.ote_trainer_bn_stats_checksum(_handle, group, out var sum));
        return sum;
    }

    /// <summary>Number of scalar parameters that currently require gradients.</summary>
    public long TrainableParameterCount
    {
        get
        {
            NativeMethods.Check(NativeMethods.ote_trainer_trainable_count(_handle, out var count));
            return count;
        }
    }

    public void Dispose() => _handle.Dispose();

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void Verify(string path, string expectedSha256, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(expectedSha256);
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} '{path}' does not exist", path);
        var actual = Sha256Of(path);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"{what} '{path}' has SHA-256 {actual}, expected {expectedSha256.ToLowerInvariant()}: the file was changed or damaged");
    }

    private static PackedDataset Native(IPackedDataset data) =>
        data as PackedDataset ?? throw new ArgumentException(
            $"the native trainer needs a {nameof(PackedDataset)}, got {data?.GetType().Name ?? "null"}", nameof(data));

    /// <summary>A stream the engine writes a file to (reached through a GCHandle passed as user data); an exception
    /// of the stream stops the export and is rethrown after it returns.</summary>
    private sealed class NativeSink : IDisposable
    {
        private readonly Stream _stream;
        private readonly GCHandle _self;
        private Exception? _error;

        public NativeSink(Stream stream)
        {
            _stream = stream;
            _self = GCHandle.Alloc(this);
        }

        public nint User => GCHandle.ToIntPtr(_self);

        public void Complete(int status)
        {
            if (_error is not null) ExceptionDispatchInfo.Capture(_error).Throw();
            NativeMethods.Check(status);
        }

        public void Dispose() => _self.Free();

        [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
        public static int Write(byte* data, long size, nint user)
        {
            var sink = (NativeSink)GCHandle.FromIntPtr(user).Target!;
            if (sink._error is not null) return 1;
            try
            {
                for (long done = 0; done < size;)
                {
                    var chunk = (int)Math.Min(size - done, int.MaxValue);
                    sink._stream.Write(new ReadOnlySpan<byte>(data + done, chunk));
                    done += chunk;
                }
                return 0;
            }
            catch (Exception e)
            {
                // Exceptions must not unwind through native frames.
                sink._error = e;
                return 1;
            }
        }
    }

    /// <summary>
    /// State of one native call: the progress callback (reached through a GCHandle passed as user data), and a
    /// cancel flag in native memory that a CancellationToken registration sets and the engine polls between batches.
    /// </summary>
    private sealed class NativeCall : IDisposable
    {
        private readonly Action<BatchProgress>? _progress;
        private readonly CancellationToken _ct;
        private readonly GCHandle _self;
        private readonly CancellationTokenRegistration _registration;
        private Exception? _callbackError;

        public NativeCall(Action<BatchProgress>? progress, CancellationToken ct)
        {
            _progress = progress;
            _ct = ct;
            CancelFlag = (int*)NativeMemory.AllocZeroed(sizeof(int));
            _self = GCHandle.Alloc(this);
            var flag = (nint)CancelFlag;
            _registration = ct.Register(static state => Interlocked.Exchange(ref *(int*)(nint)state!, 1), flag);
        }

        public int* CancelFlag { get; }
        public nint User => GCHandle.ToIntPtr(_self);
        public delegate* unmanaged[Cdecl]<int, int, double, nint, void> Callback =>
            _progress is null ? null : &OnProgress;

        public void Complete(int status)
        {
            if (_callbackError is not null) ExceptionDispatchInfo.Capture(_callbackError).Throw();
            if (status == NativeMethods.Cancelled)
                throw new OperationCanceledException("training was cancelled between batches", _ct);
            NativeMethods.Check(status);
        }

        public void Dispose()
        {
            _registration.Dispose();  // waits for a running registration callback before the flag is freed
            _self.Free();
            NativeMemory.Free(CancelFlag);
        }

        [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
        private static void OnProgress(int done, int total, double loss, nint user)
        {
            var call = (NativeCall)GCHandle.FromIntPtr(user).Target!;
            try
            {
                call._progress?.Invoke(new BatchProgress(done, total, loss));
            }
            catch (Exception e)
            {
                // Exceptions must not unwind through native frames: stop the pass and rethrow after it returns.
                call._callbackError ??= e;
                Interlocked.Exchange(ref *call.CancelFlag, 1);
            }
        }
    }
}
