using Orchestrator.Runtime;
using Orchestrator.Runtime.Membership;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Tests;

public class ClusterWorkerTests
{
    private const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        seeds: [1]
        inputSize: 16
        batchSize: 8
        hyperparameters: { patience: [1], step: [2], decay: [0.1], epochs: [4] }
        """;

    [Fact]
    public async Task A_worker_also_runs_the_trials_a_sweep_gained_after_it_had_read_the_sweep_s_specs()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid);
        var extended = SweepPlanner.Plan(SweepFixture.Yaml(fx.Root, Grid.Replace("seeds: [1]", "seeds: [1, 2]")));
        var extendedOnce = 0;
        var trainers = (TrainerFactory)((_, _) => new ScriptedTrainer(4, e => 1.0 / e)
        {
            // While the first trial trains (its spec already read), the sweep is launched again with one more seed.
            OnTrainEpoch = e =>
            {
                if (e == 2 && Interlocked.Exchange(ref extendedOnce, 1) == 0)
                    SweepPlanner.RegisterAsync(fx.Store, extended, DateTimeOffset.UtcNow, CancellationToken.None).GetAwaiter().GetResult();
            },
        });
        var options = new ClusterWorkerOptions(ClusterWorkerOptions.Slots(1), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1),
            TimeSpan.FromMilliseconds(50), ExitWhenIdle: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await new ClusterWorker(fx.Store, fx.Node, fx.Services(trainers), NodeIdentity.Current, TimeProvider.System, options).RunAsync(timeout.Token);

        timeout.IsCancellationRequested.Should().BeFalse("the worker ran out of work on its own");
        var trials = await fx.Store.ListTrialsAsync(fx.Sweep.Id);
        trials.Should().HaveCount(2).And.OnlyContain(t => t.Status == TrialStatus.Completed);
    }
}
