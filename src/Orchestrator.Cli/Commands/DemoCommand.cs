using System.CommandLine;

namespace Orchestrator.Cli.Commands;

public static class DemoCommand
{
    public static Command Create()
    {
        var store = CommonOptions.Store();
        var workers = CommonOptions.Workers();
        var engine = new EngineOptions();
        var command = new Command("demo", "Run the embedded demo sweep (synthetic data, made if missing; the bundled ImageNet ResNet-18 imported on first use) and print its results") { store, workers };
        engine.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            using var stream = typeof(DemoCommand).Assembly.GetManifestResourceStream("demo.yaml")
                ?? throw new InvalidOperationException("the demo spec is not embedded in this build");
            using var reader = new StreamReader(stream);
            // Its pretrained backbone comes with the build: imported on first use, once.
            ModelCommands.EnsurePretrained(line => Console.WriteLine($"demo: first use: {line}"));
            return await SweepExecution.RunAsync(await reader.ReadToEndAsync(ct), result.GetValue(store)!, result.GetValue(workers),
                slots => engine.Read(result, slots), ct);
        }, ct));
        return command;
    }
}
