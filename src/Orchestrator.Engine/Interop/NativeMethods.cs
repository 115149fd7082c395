using System.Runtime.InteropServices;

namespace Orchestrator.Engine.Interop;

/// <summary>Bindings of the C ABI in native/include/orchestrator_engine.h.</summary>
internal static unsafe partial class NativeMethods
{
    public const string Library = "orchestrator_engine";

    public const int Ok = 0;
    public const int Error = 1;
    public const int Cancelled = 2;
    public const int InvalidInput = 3;

    [LibraryImport(Library)]
    public static partial nint ote_last_error();

    [LibraryImport(Library)]
    public static partial int ote_set_num_threads(int threads);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_group_count(string arch, out int groups);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_dataset_open(string imagesPath, long count, int height, int width, int* labels,
        out DatasetHandle handle);

    [LibraryImport(Library)]
    public static partial void ote_dataset_free(nint dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_trainer_create(string arch, int numClasses, int inputSize, int optimizer, double lr,
        ulong seed, string device, out TrainerHandle handle);

    [StructLayout(LayoutKind.Sequential)]
    public struct EngineInfoNative
    {
        public fixed byte LibtorchVersion[32];
        public int CudaBuilt;
        public int CudaAvailable;
        public int DeviceCount;
    }

    [LibraryImport(Library)]
    public static partial int ote_engine_info(out EngineInfoNative info);

    [StructLayout(LayoutKind.Sequential)]
    public struct CpuAllocatorStatsNative
    {
        public long Reused;
        public long Fresh;
        public long IdleBytes;
        public long IdleLimit;
    }

    [LibraryImport(Library)]
    public static partial int ote_cpu_allocator_stats(out CpuAllocatorStatsNative stats);

    [LibraryImport(Library)]
    public static partial int ote_set_cpu_allocator_idle_limit(long bytes);

    [LibraryImport(Library)]
    public static partial int ote_device_name(int index, byte* name, int capacity);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_check_device(string device);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_trainer_set_feature_cache(TrainerHandle trainer, int enabled, long memoryBytes, string? spillDir);

    [LibraryImport(Library)]
    public static partial int ote_trainer_take_cache_counters(TrainerHandle trainer, out long hits, out long misses);

    [LibraryImport(Library)]
    public static partial int ote_trainer_split(TrainerHandle trainer, out int split, out int stages);

    [LibraryImport(Library)]
    public static partial void ote_trainer_free(nint trainer);

    [LibraryImport(Library)]
    public static partial int ote_trainer_group_count(TrainerHandle trainer, out int groups);

    [LibraryImport(Library)]
    public static partial int ote_trainer_set_trainable(TrainerHandle trainer, int unfrozenGroups);

    [LibraryImport(Library)]
    public static partial int ote_trainer_set_lr(TrainerHandle trainer, double lr);

    [LibraryImport(Library)]
    public static partial int ote_trainer_get_lr(TrainerHandle trainer, out double lr);

    [LibraryImport(Library)]
    public static partial int ote_trainer_reset_optimizer(TrainerHandle trainer);

    [LibraryImport(Library)]
    public static partial int ote_trainer_set_trainable_groups(TrainerHandle trainer, int* groups, int count, double lr,
        double discriminative);

    [LibraryImport(Library)]
    public static partial int ote_trainer_set_batchnorm_updates(TrainerHandle trainer, int update);

    [LibraryImport(Library)]
    public static partial int ote_trainer_train_epoch(TrainerHandle trainer, DatasetHandle dataset, int* order, long n,
        float* classWeights, int numWeights, int batchSize,
        delegate* unmanaged[Cdecl]<int, int, double, nint, void> progress, nint user, int* cancelFlag,
        out double meanLoss);

    [LibraryImport(Library)]
    public static partial int ote_trainer_evaluate(TrainerHandle trainer, DatasetHandle dataset, int* indices, long n,
        float* classWeights, int numWeights, int batchSize,
        delegate* unmanaged[Cdecl]<int, int, double, nint, void> progress, nint user, int* cancelFlag,
        out double loss, int* predictions, float* probabilities);

    [LibraryImport(Library)]
    public static partial int ote_trainer_calibrate_batchnorm(TrainerHandle trainer, DatasetHandle dataset, int* indices, long n,
        int batchSize, delegate* unmanaged[Cdecl]<int, int, double, nint, void> progress, nint user, int* cancelFlag);

    [LibraryImport(Library)]
    public static partial int ote_trainer_remember_best(TrainerHandle trainer);

    [LibraryImport(Library)]
    public static partial int ote_trainer_restore_best(TrainerHandle trainer);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_trainer_save_checkpoint(TrainerHandle trainer, string path, int epoch);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_trainer_load_checkpoint(TrainerHandle trainer, string path, out int epoch);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_trainer_save_best(TrainerHandle trainer, string path);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_trainer_load_best(TrainerHandle trainer, string path);

    [LibraryImport(Library)]
    public static partial int ote_trainer_capture_checkpoint(TrainerHandle trainer, int epoch, out nint bytes);

    [LibraryImport(Library)]
    public static partial int ote_trainer_capture_best(TrainerHandle trainer, out nint bytes);

    [LibraryImport(Library)]
    public static partial nint ote_bytes_data(nint bytes);

    [LibraryImport(Library)]
    public static partial long ote_bytes_size(nint bytes);

    [LibraryImport(Library)]
    public static partial void ote_bytes_free(nint bytes);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_trainer_load_backbone(TrainerHandle trainer, string path, out int loaded);

    [LibraryImport(Library)]
    public static partial int ote_trainer_feature_dim(TrainerHandle trainer, out int dim);

    [LibraryImport(Library)]
    public static partial int ote_trainer_features(TrainerHandle trainer, float* input, int n, int c, int h, int w,
        float* output);

    [LibraryImport(Library)]
    public static partial int ote_trainer_param_checksum(TrainerHandle trainer, int group, out double checksum);

    [LibraryImport(Library)]
    public static partial int ote_trainer_bn_stats_checksum(TrainerHandle trainer, int group, out double checksum);

    [LibraryImport(Library)]
    public static partial int ote_trainer_trainable_count(TrainerHandle trainer, out long count);

    /// <summary>Turns a status into an exception carrying the native message (same thread as the call).</summary>
    public static void Check(int status)
    {
        switch (status)
        {
            case Ok:
                return;
            case Cancelled:
                throw new OperationCanceledException("the native engine observed cancellation");
            case InvalidInput:
                throw new EngineException(LastError(), invalidInput: true);
            default:
                throw new EngineException(LastError());
        }
    }

    public static string LastError() =>
        Marshal.PtrToStringUTF8(ote_last_error()) is { Length: > 0 } message ? message : "native engine error (no message)";
}
