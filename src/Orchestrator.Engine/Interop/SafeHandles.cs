using Microsoft.Win32.SafeHandles;

namespace Orchestrator.Engine.Interop;

/// <summary>Owns an <c>ote_dataset*</c>.</summary>
public sealed class DatasetHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DatasetHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ote_dataset_free(handle);
        return true;
    }
}

/// <summary>Owns an <c>ote_trainer*</c>.</summary>
public sealed class TrainerHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TrainerHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ote_trainer_free(handle);
        return true;
    }
}
