using System.Text.Json;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.TestEngine;

// The configurations of a search spec, per (backbone, strategy) cell in plan order, with the loss curve the test
// engine's curve script reports for each (ScriptedCurve) and the cell's known answer, for the Optuna peer
// (optuna_peer.py) to try the same configurations on the same curves. Usage: SearchBench SPEC.yaml > plan.json
if (args.Length != 1) throw new ArgumentException("usage: SearchBench SPEC.yaml");
var cells = SweepGrid.Expand(SweepSpecParser.Parse(File.ReadAllText(args[0])))
    .Select(t => t.Spec)
    .GroupBy(SweepPlan.CellName)
    .Select(cell =>
    {
        var strategy = cell.First().Strategy;
        var best = ScriptedCurve.BestLearningRate(strategy);
        return new
        {
            name = cell.Key,
            bestLearningRate = best,
            // The curve ranks configurations by their log distance to the best rate, at every epoch.
            knownBestLearningRate = cell.MinBy(s => Math.Abs(Math.Log10(s.LearningRate) - Math.Log10(best)))!.LearningRate,
            configurations = cell.Select(s => new
            {
                learningRate = s.LearningRate,
                losses = Enumerable.Range(1, s.MaxEpochs).Select(e => ScriptedCurve.ValidationLoss(strategy, s.LearningRate, e)),
            }),
        };
    });
Console.WriteLine(JsonSerializer.Serialize(new { cells }, new JsonSerializerOptions { WriteIndented = true }));
