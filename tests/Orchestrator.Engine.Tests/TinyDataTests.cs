using Orchestrator.Domain.Data;
using Orchestrator.Engine.Datasets;

namespace Orchestrator.Engine.Tests;

/// <summary>A test class that owns a temp folder with one tiny packed dataset, opened for the engine.</summary>
public abstract class TinyDataTests : IDisposable
{
    private readonly TempDir _tmp = new();

    protected TinyDataTests(int trainPerClass, int valPerClass, int size, int seed)
    {
        Data = PackedDataset.Open(TinyData.Create(_tmp.File("data"), trainPerClass, valPerClass, size, seed));
    }

    protected PackedDataset Data { get; }
    private protected TempDir Tmp => _tmp;
    protected int[] Train => [.. Data.IndicesOf(Splits.Train)];
    protected int[] Val => [.. Data.IndicesOf(Splits.Validation)];

    public void Dispose()
    {
        Data.Dispose();
        _tmp.Dispose();
        GC.SuppressFinalize(this);
    }
}
