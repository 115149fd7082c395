using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Orchestrator.Domain.Specs;

/// <summary>
/// The canonical JSON of a trial spec: compact, camelCase, properties in declaration order, numbers in the
/// shortest round-trippable invariant form. Trial ids hash it, so its shape must never change silently.
/// </summary>
public static class TrialSpecJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    // Records serialize in declaration order; doubles in their shortest round-trippable form.
    private static readonly JsonSerializerOptions ScheduleOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Canonical(TrialSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("sweep", spec.Sweep);
            w.WriteString("backbone", spec.Backbone);
            w.WriteString("strategy", spec.Strategy.ToSpecString());
            WriteDouble(w, "learningRate", spec.LearningRate);
            w.WriteNumber("patience", spec.Patience);
            w.WriteNumber("step", spec.Step);
            WriteDouble(w, "decay", spec.Decay);
            w.WriteNumber("maxEpochs", spec.MaxEpochs);
            w.WriteNumber("fixedTopN", spec.FixedTopN);
            WriteDouble(w, "minDelta", spec.MinDelta);
            w.WriteString("stopPolicy", spec.StopPolicy.ToSpecString());
            w.WriteNumber("maxRounds", spec.MaxRounds);
            w.WriteString("optimizer", spec.Optimizer.ToSpecString());
            w.WriteNumber("batchSize", spec.BatchSize);
            w.WriteNumber("inputSize", spec.InputSize);
            w.WriteNumber("seed", spec.Seed);
            w.WriteString("classBalance", spec.ClassBalance.ToSpecString());
            // Written only when set, so the ids of trials that start from random weights stay as they were.
            if (spec.Weights is not null) w.WriteString("weights", spec.Weights);
            // Likewise written only when not at their default, so existing trial ids stay the same.
            if (spec.Normalization != Normalization.Backbone) w.WriteString("normalization", spec.Normalization.ToSpecString());
            if (spec.Augmentation != Augmentations.None) w.WriteString("augmentation", spec.Augmentation);
            if (spec.MinorityShare != 0) WriteDouble(w, "minorityShare", spec.MinorityShare);
            if (spec.UnfreezeEvery != 0) w.WriteNumber("unfreezeEvery", spec.UnfreezeEvery);
            if (spec.StageTwoRate != 0) WriteDouble(w, "stageTwoRate", spec.StageTwoRate);
            if (spec.Discriminative != 0) WriteDouble(w, "discriminative", spec.Discriminative);
            if (spec.Schedule is not null)
            {
                w.WritePropertyName("schedule");
                JsonSerializer.Serialize(w, spec.Schedule, ScheduleOptions);
            }
            w.WriteStartObject("data");
            w.WriteString("path", spec.Data.Path);
            if (spec.Data.Synthesize is { } synth)
            {
                w.WriteStartObject("synthesize");
                w.WriteNumber("images", synth.Images);
                w.WriteNumber("size", synth.Size);
                w.WriteNumber("seed", synth.Seed);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("synthesize");
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static TrialSpec Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize<TrialSpec>(json, ReadOptions)
                ?? throw new InvalidDataException("trial spec JSON is null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"trial spec JSON is invalid: {ex.Message}", ex);
        }
    }

    private static void WriteDouble(Utf8JsonWriter w, string name, double value)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"trial spec field '{name}' is not a finite number: {value}");
        // "R" is the shortest string that parses back to the same double; +0.0 turns -0 into 0.
        w.WritePropertyName(name);
        w.WriteRawValue((value + 0.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture), skipInputValidation: false);
    }
}
