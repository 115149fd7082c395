using System.CommandLine;
using Orchestrator.Domain.Training;
using Orchestrator.Domain;
using Orchestrator.Engine;
using Orchestrator.Engine.Interop;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Cli.Commands;

/// <summary>What the engine of a training process is told: each slot's device and the frozen-prefix feature cache.</summary>
public sealed record EngineChoices(IReadOnlyDictionary<string, ComputeDevice> Devices, long? FeatureCacheMebibytes, bool NoFeatureCache)
{
    public ComputeDevice DeviceOf(string slot) => Devices.TryGetValue(slot, out var d) ? d : ComputeDevice.Cpu;

    /// <exception cref="InvalidInputException">A device this engine or machine lacks, in one line, before any trial starts.</exception>
    public void CheckDevices()
    {
        foreach (var device in Devices.Values.Distinct().Where(d => d.IsCuda))
        {
            try
            {
                EngineInfo.CheckDevice(device);
            }
            catch (EngineException ex) when (ex.InvalidInput)
            {
                throw new InvalidInputException(ex.Message);
            }
        }
    }
}

/// <summary>The engine options of `sweep run`, `demo` and `worker`, spelled once.</summary>
public sealed class EngineOptions
{
    public Option<string?> Device { get; } = new("--device") { Description = "Device every slot trains on: cpu (default) or cuda:N" };
    public Option<long?> FeatureCacheMb { get; } = new("--feature-cache-mb")
    {
        Description = "Memory for the frozen layers' cached outputs, in MiB, shared by the slots (default: half of the free memory); beyond it they go to a file in the temporary folder",
    };
    public Option<bool> NoFeatureCache { get; } = new("--no-feature-cache") { Description = "Run every image through the frozen layers in every epoch" };

    public void AddTo(Command command, bool withDevice = true)
    {
        if (withDevice) command.Options.Add(Device);
        command.Options.Add(FeatureCacheMb);
        command.Options.Add(NoFeatureCache);
    }

    /// <summary>Slots named gpu-N (from `--gpus`) train on cuda:N; the others on `--device` (default cpu).</summary>
    /// <exception cref="InvalidInputException">A malformed device or one this engine or machine lacks, a negative cache
    /// size, or both cache options.</exception>
    public EngineChoices Read(ParseResult result, IReadOnlyList<string> slots)
    {
        var all = ComputeDevice.Cpu;
        if (result.GetValue(Device) is { } text)
        {
            try
            {
                all = ComputeDevice.Parse(text);
            }
            catch (FormatException ex)
            {
                throw new InvalidInputException($"--device: {ex.Message}");
            }
        }
        var devices = slots.ToDictionary(s => s, s =>
            s.StartsWith("gpu-", StringComparison.Ordinal) && int.TryParse(s.AsSpan(4), out var gpu) ? ComputeDevice.Cuda(gpu) : all);
        var mb = result.GetValue(FeatureCacheMb);
        var off = result.GetValue(NoFeatureCache);
        if (mb is < 0) throw new InvalidInputException($"--feature-cache-mb: {mb} is invalid (0 or more MiB)");
        if (mb is not null && off) throw new InvalidInputException("--feature-cache-mb and --no-feature-cache: give one of them");
        var choices = new EngineChoices(devices, mb, off);
        choices.CheckDevices();
        return choices;
    }

    /// <summary>The choices of a process whose command line has no engine options (tests, tools): CPU, default cache.</summary>
    public static EngineChoices Defaults(IReadOnlyList<string> slots) =>
        new(slots.ToDictionary(s => s, _ => ComputeDevice.Cpu), null, false);
}
