using System.CommandLine;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Engine;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator engine info`: what the native engine was built against and which devices it sees.</summary>
public static class EngineCommand
{
    public static Command Create()
    {
        var engine = new Command("engine", "The native training engine");
        var json = CommonOptions.Json();
        var info = new Command("info", "libtorch version, whether CUDA is built in and available, the CUDA devices") { json };
        info.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var facts = EngineInfo.Facts();
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    libtorch = facts.LibtorchVersion, cudaBuilt = facts.CudaBuilt, cudaAvailable = facts.CudaAvailable,
                    deviceCount = facts.Devices.Count, devices = facts.Devices.Select((name, i) => new { device = $"cuda:{i}", name }),
                }, Tables.Json));
                return Task.FromResult(ExitCodes.Ok);
            }
            Console.WriteLine($"libtorch {facts.LibtorchVersion}");
            Console.WriteLine($"CUDA: {(facts.CudaBuilt ? facts.CudaAvailable ? "built in, available" : "built in, no GPU visible" : "not built in (a CPU libtorch)")}");
            Console.WriteLine($"CUDA devices: {facts.Devices.Count}");
            for (var i = 0; i < facts.Devices.Count; i++)
                Console.WriteLine($"  cuda:{i}  {(facts.Devices[i].Length > 0 ? facts.Devices[i] : "(name unknown)")}");
            Console.WriteLine("devices for --device and worker --gpus: cpu" + (facts.Devices.Count > 0 ? $", cuda:0 to cuda:{facts.Devices.Count - 1}" : ""));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        engine.Subcommands.Add(info);
        return engine;
    }
}
