using System.Runtime.InteropServices;

namespace Orchestrator.Engine.Interop;

/// <summary>Bindings of graph backbones (native/src/c_api_graph.cpp).</summary>
internal static partial class NativeMethods
{
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_graph_register(string name, string modelDir);
}
