using Microsoft.Win32.SafeHandles;

namespace Orchestrator.Engine.Interop;

/// <summary>Owns an <c>ote_weights*</c>.</summary>
public sealed class WeightsHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public WeightsHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ote_weights_free(handle);
        return true;
    }
}
